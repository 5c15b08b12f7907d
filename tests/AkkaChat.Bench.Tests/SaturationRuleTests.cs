using AkkaChat.Bench.Scenarios;

namespace AkkaChat.Bench.Tests;

public sealed class SaturationRuleTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void a_run_that_delivers_the_offered_rate_quickly_is_not_saturated() =>
        Assert.Empty(SaturationRule.Judge(1_000, 9_900, 10, 2.5, Bound, (10, 8)));

    [Fact]
    public void delivering_less_than_95_percent_of_the_offered_rate_is_saturated() =>
        Assert.Contains(SaturationRule.Judge(1_000, 8_860, 10, 2.5, Bound, (10, 8)), r => r.StartsWith("delivered 886/s of 1,000/s offered"));

    [Fact]
    public void a_p50_above_the_bound_is_saturated_also_flat_out() =>
        Assert.Contains(SaturationRule.Judge(null, 34_400, 10, 825, Bound, null), r => r.Contains("p50 825 ms"));

    [Fact]
    public void a_backlog_growing_to_the_end_of_the_window_is_saturated() =>
        Assert.Contains(SaturationRule.Judge(1_000, 9_800, 10, 50, Bound, (200, 900)), r => r.Contains("grew from 200 to 900"));

    [Fact]
    public void a_small_backlog_at_the_end_is_not_saturation() =>
        Assert.Empty(SaturationRule.Judge(1_000, 9_800, 10, 50, Bound, (20, 200)));

    [Fact]
    public void messages_still_in_flight_at_the_end_of_a_short_window_do_not_count_as_missing() =>
        // 20/s for 3 s at a p50 of 300 ms: 54 of 60 arrived within the window, the rest 300 ms later.
        Assert.Empty(SaturationRule.Judge(20, 54, 3, 300, TimeSpan.FromSeconds(30), (4, 6)));
}
