using AkkaChat.TestKit;

namespace AkkaChat.Cluster.Tests;

/// <summary>Nodes join, leave and restart under traffic; no acknowledged message is lost.</summary>
[Trait("Category", "Slow")]
public sealed class MembershipChangeTests
{
    [Fact]
    public async Task A_joining_node_takes_over_shards_and_traffic_keeps_flowing()
    {
        await using var cluster = await ChatCluster.StartAsync(2);
        var users = new List<ChatUser>();
        for (var i = 0; i < 24; i++)
        {
            users.Add(await ChatUser.RegisterAsync(cluster, TestPhones.New(), cluster.Nodes[i % 2]));
        }

        try
        {
            var joining = cluster.AddNodeAsync();
            var acked = new Dictionary<string, List<string>>();
            var round = 0;
            // Traffic in rounds, each user to the next, while node 3 joins and shards move to it.
            while (!joining.IsCompleted || (await cluster.Nodes[2].HostedShardsAsync()).Count == 0)
            {
                if (round > 200)
                {
                    throw new TimeoutException($"no shard moved to the new node\n{cluster.Report()}");
                }

                await SendRoundAsync(users, acked, round++);
            }

            await joining;
            await SendRoundAsync(users, acked, round++); // and after the rebalance
            foreach (var user in users)
            {
                var expected = acked[user.Phone];
                await user.ReceiveUntilAsync(u => u.Received.Count >= expected.Count);
                Assert.Equal(expected, user.Received.Select(d => d.ServerMsgId));
            }
        }
        finally
        {
            foreach (var user in users)
            {
                await user.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_rolling_restart_of_every_node_under_steady_traffic_loses_nothing()
    {
        await using var cluster = await ChatCluster.StartAsync(3);
        await using var alice = await ChatUser.RegisterAsync(cluster, TestPhones.New(), cluster.Nodes[0]);
        await using var bob = await ChatUser.RegisterAsync(cluster, TestPhones.New(), cluster.Nodes[1]);
        var acked = new List<string>();
        using var stop = new CancellationTokenSource();
        var traffic = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                acked.Add((await alice.SendReliablyAsync(bob.Phone, $"r-{i}", $"#{i}")).ServerMsgId);
            }
        });

        foreach (var node in cluster.Nodes.ToList())
        {
            var before = acked.Count;
            await cluster.StopAsync(node);
            await cluster.RestartAsync(node);
            await cluster.AwaitAsync("traffic after restarting " + node.Name, () => acked.Count > before + 3 || traffic.IsFaulted, TimeSpan.FromSeconds(60));
        }

        stop.Cancel();
        await traffic;
        await bob.ReceiveUntilAsync(u => u.Received.Count >= acked.Count);
        Assert.Equal(acked, bob.Received.Select(d => d.ServerMsgId));
    }

    private static async Task SendRoundAsync(List<ChatUser> users, Dictionary<string, List<string>> acked, int round)
    {
        for (var i = 0; i < users.Count; i++)
        {
            var to = users[(i + 1) % users.Count].Phone;
            var ack = await users[i].SendReliablyAsync(to, $"j-{round}-{i}", $"round {round}");
            if (!acked.TryGetValue(to, out var list))
            {
                acked[to] = list = new List<string>();
            }

            list.Add(ack.ServerMsgId);
        }
    }
}
