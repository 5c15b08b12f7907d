using System.Diagnostics;
using AkkaChat.TestKit;
using Xunit.Abstractions;

namespace AkkaChat.Cluster.Tests;

/// <summary>
/// Fault drill: a node process is paused (SIGSTOP) for longer than the failure detector and the
/// split-brain resolver allow (acceptable-heartbeat-pause 2 s + stable-after 3 s in the kit's
/// fast-failover settings), then resumed (SIGCONT).
/// </summary>
[Trait("Category", "Slow")]
public sealed class PauseDrillTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_node_paused_past_the_failure_detector_is_downed_its_users_move_and_nothing_acknowledged_is_lost()
    {
        await using var cluster = await ProcessCluster.StartAsync(3);
        var bobPhone = TestPhones.New();
        await using var bob = await ChatUser.RegisterAsync(cluster, bobPhone, cluster.Nodes[0]);
        await bob.DisconnectAsync();
        var home = cluster.Nodes.Single(n => n.Name == bob.HomeNode);
        await using var alice = await ChatUser.RegisterAsync(cluster, TestPhones.New(), cluster.Nodes.First(n => n != home));

        var acked = new List<string>();
        var paused = new Stopwatch();
        for (var i = 0; i < 40; i++)
        {
            if (i == 15)
            {
                await SignalAsync(home, "STOP"); // with sends in flight to bob's shard
                paused.Start();
            }

            acked.Add((await alice.SendReliablyAsync(bobPhone, $"p-{i}", $"#{i}", TimeSpan.FromMinutes(2))).ServerMsgId);
            if (i == 15)
            {
                output.WriteLine($"failover: {paused.Elapsed.TotalSeconds:F1} s from SIGSTOP of {home.Name} to the next SEND_ACK for a user it hosted");
            }
        }

        // Stay paused well past the failure detector, then resume: the node finds itself downed
        // by the others and stops, rather than serving a second copy of bob's queue.
        while (paused.Elapsed < Pause)
        {
            await Task.Delay(200); // the length of the pause is the drill itself
        }

        await SignalAsync(home, "CONT");
        var resumed = Stopwatch.StartNew();
        while (!home.HasExited)
        {
            Assert.True(resumed.Elapsed < TimeSpan.FromSeconds(90), $"{home.Name}, downed while paused, was still running 90 s after SIGCONT");
            await Task.Delay(200);
        }

        output.WriteLine($"{home.Name} exited {resumed.Elapsed.TotalSeconds:F1} s after SIGCONT (paused {paused.Elapsed.TotalSeconds:F1} s)");

        await bob.ConnectAsync();
        await bob.ReceiveUntilAsync(u => u.Received.Count >= acked.Count);
        Assert.NotEqual(home.Name, bob.HomeNode);
        Assert.Equal(acked, bob.Received.Select(d => d.ServerMsgId));
    }

    private static async Task SignalAsync(NodeProcess node, string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {node.ProcessId}");
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }
}
