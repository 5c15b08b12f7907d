using AkkaChat.Node.Configuration;
using AkkaChat.Node.Connections;
using AkkaChat.Node.Tests.Support;
using Xunit.Abstractions;

namespace AkkaChat.Node.Tests.Connections;

/// <summary>The node-wide sweep of login deadlines and idle timeouts, and what it holds for closed connections.</summary>
public sealed class IdleSweepTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    [Fact]
    public async Task Cancelled_registrations_are_dropped_from_their_slots_long_before_they_are_due_and_open_ones_stay()
    {
        var sweep = IdleSweep.Get(Sys);
        var runtime = new RuntimeSettingsSource(TestSettings.Create().Runtime);
        var probe = CreateTestProbe();
        var now = Environment.TickCount64;
        var open = Enumerable.Range(0, 10).Select(_ => sweep.Register(probe.Ref)).ToList();
        var closed = Enumerable.Range(0, 3_000).Select(_ => sweep.Register(probe.Ref)).ToList();
        foreach (var registration in open.Concat(closed))
        {
            sweep.WhenLoginDue(registration, now + (long)TimeSpan.FromMinutes(10).TotalMilliseconds);
            sweep.WhenSilent(registration, runtime, now);
        }

        var before = sweep.Entries;
        Assert.True(before >= 6_020, $"entries {before}");
        closed.ForEach(r => r.Cancel());

        // The sweep runs every 250 ms; the deadlines are minutes away, so only compaction can drop them.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (sweep.Entries > before - 6_000 && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }

        Assert.Equal(before - 6_000, sweep.Entries);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // nobody is told anything early
    }
}
