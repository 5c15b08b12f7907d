using AkkaChat.Bench.Reporting;
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

    [Fact]
    public void a_soak_whose_online_messages_arrive_is_not_saturated_by_the_iterations_that_send_nothing() =>
        // 100/s for 10 s: 1,000 iterations, 800 sent to online recipients (the rest skipped or to offline
        // recipients, which wait for a login by design), 790 of them delivered in the window.
        Assert.Empty(SaturationRule.JudgeSoak(100, 1_000, 800, 790, 10, 4, Bound, (5, 6)));

    [Fact]
    public void a_soak_delivering_too_few_of_its_online_messages_is_saturated() =>
        // offered to online recipients = 100/s x 800/1,000 = 80/s; 500 in 10 s is 50/s.
        Assert.Contains(SaturationRule.JudgeSoak(100, 1_000, 800, 500, 10, 4, Bound, (5, 6)), r => r.StartsWith("delivered 50/s of 80/s offered"));

    [Fact]
    public void a_soak_whose_sender_loop_fell_behind_the_clock_is_saturated() =>
        // 100/s for 10 s but the loop ran only 600 iterations: 480 online sends, all delivered, are 48/s of 80/s.
        Assert.Contains(SaturationRule.JudgeSoak(100, 600, 480, 480, 10, 4, Bound, (5, 6)), r => r.StartsWith("delivered 48/s of 80/s offered"));

    [Fact]
    public void a_soak_with_a_slow_median_or_a_growing_backlog_is_saturated()
    {
        Assert.Contains(SaturationRule.JudgeSoak(100, 1_000, 800, 790, 10, 250, Bound, (5, 6)), r => r.Contains("p50 250 ms"));
        Assert.Contains(SaturationRule.JudgeSoak(1_000, 10_000, 8_000, 7_700, 10, 40, Bound, (120, 300)), r => r.Contains("grew from 120 to 300"));
    }

    [Fact]
    public void the_summary_row_says_not_judged_for_a_scenario_without_an_offered_rate_and_no_or_saturated_for_a_judged_one()
    {
        static string Row(BenchReport report) => ReportOutput.Figures(report).Single(f => f.Figure == "saturated").Value;
        static BenchReport Report(string scenario) => new()
        {
            Scenario = scenario,
            StartedAt = DateTimeOffset.UnixEpoch,
            Commit = "test",
            Machine = new MachineReport { Name = "test", ProcessorCount = 2, Os = "linux", Runtime = "net10.0" },
            Options = new OptionsReport(),
            Node = new NodeReport { Endpoint = "127.0.0.1:4700" },
            Users = new UsersReport(),
        };

        Assert.Equal("not judged (no offered rate)", Row(Report("group-fanout")));
        var soak = Report("soak");
        soak.SaturationJudged = true;
        Assert.Equal("no", Row(soak));
        soak.Saturation.AddRange(SaturationRule.JudgeSoak(100, 1_000, 800, 500, 10, 4, Bound, (5, 6)));
        Assert.StartsWith("SATURATED: delivered 50/s of 80/s offered", Row(soak));
    }
}
