using AkkaChat.Client.Internal;

namespace AkkaChat.Client.Tests;

public sealed class BackoffTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0, 500)]
    [InlineData(1, 1000)]
    [InlineData(3, 4000)]
    [InlineData(6, 30000)]
    [InlineData(1000, 30000)]
    public void The_delay_lies_between_half_the_doubled_ceiling_and_the_ceiling(int attempt, int ceilingMs)
    {
        var random = new Random(attempt);
        for (var i = 0; i < 100; i++)
        {
            var delay = Backoff.Delay(attempt, Initial, Max, random);
            Assert.InRange(delay.TotalMilliseconds, ceilingMs / 2.0, ceilingMs);
        }
    }

    [Fact]
    public void Delays_are_jittered_so_clients_do_not_reconnect_in_step()
    {
        var random = new Random(7);

        var delays = Enumerable.Range(0, 20).Select(_ => Backoff.Delay(2, Initial, Max, random)).Distinct().Count();

        Assert.True(delays > 10, $"only {delays} distinct delays in 20");
    }
}
