using Akka.Actor;
using AkkaChat.Node.Connections;
using Xunit;
using Xunit.Abstractions;

namespace AkkaChat.Node.Tests.Connections;

/// <summary>
/// The connection's lazily created single-shot timers: a timer fires once with its key, a cancelled
/// or restarted timer whose message was already delivered is dropped, and nothing is active after.
/// </summary>
public sealed class SingleTimersTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_timer_fires_once_with_its_key_and_is_then_no_longer_active()
    {
        var timers = new SingleTimers(TestActor, Sys.Scheduler);
        timers.StartSingleTimer("login", TimeSpan.FromMilliseconds(50));
        Assert.True(timers.IsTimerActive("login"));

        var fired = ExpectMsg<SingleTimers.Fired>(Deadline);
        Assert.Equal("login", timers.Accept(fired));
        Assert.False(timers.IsTimerActive("login"));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_timer_cancelled_or_started_again_after_it_fired_is_stale()
    {
        var timers = new SingleTimers(TestActor, Sys.Scheduler);
        timers.StartSingleTimer("close", TimeSpan.FromMilliseconds(1));
        var first = ExpectMsg<SingleTimers.Fired>(Deadline);

        // Its message is delivered but not yet handled: restarting the timer makes it stale.
        timers.StartSingleTimer("close", TimeSpan.FromMilliseconds(1));
        Assert.Null(timers.Accept(first));
        var second = ExpectMsg<SingleTimers.Fired>(Deadline);
        timers.Cancel("close");
        Assert.Null(timers.Accept(second));
        Assert.False(timers.IsTimerActive("close"));
    }

    [Fact]
    public void Cancelled_timers_never_fire_and_keys_are_independent()
    {
        var timers = new SingleTimers(TestActor, Sys.Scheduler);
        timers.StartSingleTimer("a", TimeSpan.FromMilliseconds(300));
        timers.StartSingleTimer("b", TimeSpan.FromMilliseconds(300));
        timers.StartSingleTimer("c", TimeSpan.FromMilliseconds(100));
        timers.Cancel("a");
        Assert.False(timers.IsTimerActive("a"));
        Assert.True(timers.IsTimerActive("b"));

        Assert.Equal("c", timers.Accept(ExpectMsg<SingleTimers.Fired>(Deadline)));
        Assert.Equal("b", timers.Accept(ExpectMsg<SingleTimers.Fired>(Deadline)));
        timers.StartSingleTimer("d", TimeSpan.FromMilliseconds(100));
        timers.CancelAll();
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));
    }
}
