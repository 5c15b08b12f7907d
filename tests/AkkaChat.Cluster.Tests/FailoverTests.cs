using System.Diagnostics;
using AkkaChat.TestKit;
using Xunit.Abstractions;

namespace AkkaChat.Cluster.Tests;

/// <summary>
/// Nodes fail and the cluster carries on: every message that got SEND_ACK reaches its recipient
/// exactly once after client-side dedup, in the order of the SEND_ACKs.
/// </summary>
[Trait("Category", "Slow")]
public sealed class FailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Crashing_the_node_that_hosts_the_recipient_loses_no_acknowledged_message()
    {
        await using var cluster = await ChatCluster.StartAsync(3);
        var bobPhone = TestPhones.New();
        await using var bob = await ChatUser.RegisterAsync(cluster, bobPhone, cluster.Nodes[0]);
        await bob.DisconnectAsync(); // offline while his node dies
        var home = await cluster.NodeHostingAsync(bobPhone) ?? throw new InvalidOperationException("bob's shard is nowhere");
        var senderNode = cluster.Running.First(n => n != home);
        await using var alice = await ChatUser.RegisterAsync(cluster, TestPhones.New(), senderNode);

        var acked = new List<string>();
        var sinceCrash = new Stopwatch();
        for (var i = 0; i < 40; i++)
        {
            if (i == 15)
            {
                await cluster.CrashAsync(home); // with sends in flight to his shard
                sinceCrash.Start();
            }

            acked.Add((await alice.SendReliablyAsync(bobPhone, $"c-{i}", $"#{i}")).ServerMsgId);
            if (i == 15)
            {
                // The figure docs/cluster.md quotes: node crash -> the next SEND_ACK for its user.
                output.WriteLine($"failover: {sinceCrash.Elapsed.TotalSeconds:F1} s from crashing {home.Name} to the next SEND_ACK for a user it hosted");
            }
        }

        await bob.ConnectAsync();
        await bob.ReceiveUntilAsync(u => u.Received.Count >= acked.Count);

        Assert.NotEqual(home, await cluster.NodeHostingAsync(bobPhone));
        Assert.Equal(acked, bob.Received.Select(d => d.ServerMsgId));
    }

    [Fact]
    public async Task A_partitioned_minority_node_is_downed_and_its_clients_reconnect_elsewhere_without_loss()
    {
        await using var cluster = await ChatCluster.StartAsync(3);
        var minority = cluster.Nodes[2];
        await using var carol = await ChatUser.RegisterAsync(cluster, TestPhones.New(), minority);
        await using var alice = await ChatUser.RegisterAsync(cluster, TestPhones.New(), cluster.Nodes[0]);
        var acked = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            acked.Add((await alice.SendReliablyAsync(carol.Phone, $"p-{i}", $"before {i}")).ServerMsgId);
        }

        await cluster.PartitionAsync([minority], [cluster.Nodes[0], cluster.Nodes[1]]);
        for (var i = 5; i < 20; i++)
        {
            acked.Add((await alice.SendReliablyAsync(carol.Phone, $"p-{i}", $"during {i}")).ServerMsgId);
        }

        // keep-majority: the two-node side downs the third, which stops itself and drops its clients.
        await cluster.AwaitAsync("the minority node to stop", () => !minority.IsRunning, TimeSpan.FromSeconds(60));
        await cluster.AwaitConvergenceAsync();
        await carol.ReceiveUntilAsync(u => u.Received.Count >= acked.Count);

        Assert.NotEqual(minority, carol.Node);
        Assert.True(carol.Reconnects >= 1, "carol's connection to the downed node should have been closed");
        Assert.Equal(acked, carol.Received.Select(d => d.ServerMsgId));
    }
}

/// <summary>The same loss-free failover with real processes and a real <c>kill -9</c>.</summary>
[Trait("Category", "Slow")]
public sealed class ProcessFailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Kill_9_of_the_node_process_hosting_the_recipient_loses_no_acknowledged_message()
    {
        await using var cluster = await ProcessCluster.StartAsync(3);
        var bobPhone = TestPhones.New();
        await using var bob = await ChatUser.RegisterAsync(cluster, bobPhone, cluster.Nodes[0]);
        await bob.DisconnectAsync();
        var home = cluster.Nodes.Single(n => n.Name == bob.HomeNode);
        await using var alice = await ChatUser.RegisterAsync(cluster, TestPhones.New(), cluster.Nodes.First(n => n != home));

        var acked = new List<string>();
        var sinceKill = new Stopwatch();
        for (var i = 0; i < 40; i++)
        {
            if (i == 15)
            {
                await home.KillAsync(); // kill -9, with sends in flight to bob's shard
                sinceKill.Start();
            }

            acked.Add((await alice.SendReliablyAsync(bobPhone, $"k-{i}", $"#{i}")).ServerMsgId);
            if (i == 15)
            {
                output.WriteLine($"failover: {sinceKill.Elapsed.TotalSeconds:F1} s from kill -9 of {home.Name} to the next SEND_ACK for a user it hosted");
            }
        }

        await bob.ConnectAsync();
        await bob.ReceiveUntilAsync(u => u.Received.Count >= acked.Count);

        Assert.NotEqual(home.Name, bob.HomeNode);
        Assert.Equal(acked, bob.Received.Select(d => d.ServerMsgId));
    }
}
