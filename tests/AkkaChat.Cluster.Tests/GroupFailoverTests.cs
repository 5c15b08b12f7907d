using Akka.Actor;
using Akka.Cluster.Sharding;
using AkkaChat.Node.Groups;
using AkkaChat.Node.Users;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Xunit.Abstractions;

namespace AkkaChat.Cluster.Tests;

/// <summary>
/// Groups across nodes: the group's shard on one node, its members' sessions and queues on others;
/// the group's node crashes mid-fan-out and every member still gets every acknowledged message
/// exactly once after dedup, in the group's order.
/// </summary>
[Trait("Category", "Slow")]
public sealed class GroupFailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Crashing_the_groups_node_mid_fan_out_loses_no_acknowledged_message_for_any_member()
    {
        await using var cluster = await ChatCluster.StartAsync(3);
        var nodes = cluster.Nodes;
        await using var bob = await ChatUser.RegisterAsync(cluster, TestPhones.New(), nodes[1]);
        await using var carol = await ChatUser.RegisterAsync(cluster, TestPhones.New(), nodes[2]);
        var (creator, groupId) = await CreateGroupAsync(nodes[0], bob.Phone, carol.Phone);
        await using var _ = creator;
        var home = await NodeHostingGroupAsync(cluster, groupId) ?? throw new InvalidOperationException("the group's shard is nowhere");
        output.WriteLine($"group {groupId} on {home.Name}; bob on {bob.Node}, carol on {carol.Node}");

        // The sender writes through a node that survives, and stays a member throughout.
        var sender = await ChatUser.RegisterAsync(cluster, TestPhones.New(), cluster.Running.First(n => n != home));
        await using var __ = sender;
        await creator.SendAsync(new GroupUpdate { RequestId = "add-sender", GroupId = groupId, Add = { sender.Phone } });
        await AwaitInfoAsync(creator, "add-sender");

        var acked = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            if (i == 15)
            {
                await cluster.CrashAsync(home); // messages are being fanned out from it right now
            }

            acked.Add((await sender.SendReliablyAsync("g:" + groupId, $"gf-{i}", $"#{i}")).ServerMsgId);
        }

        await bob.ReceiveUntilAsync(u => u.Received.Count >= acked.Count);
        await carol.ReceiveUntilAsync(u => u.Received.Count >= acked.Count);

        Assert.NotEqual(home, await NodeHostingGroupAsync(cluster, groupId));
        Assert.Equal(acked, bob.Received.Select(d => d.ServerMsgId));
        Assert.Equal(acked, carol.Received.Select(d => d.ServerMsgId));
        Assert.All(bob.Received.Concat(carol.Received), d => Assert.Equal(groupId, d.GroupId));
    }

    /// <summary>A fresh user on <paramref name="node"/> creates a group with <paramref name="members"/>; it stays connected.</summary>
    private static async Task<(ProtocolClient Creator, string GroupId)> CreateGroupAsync(ClusterNode node, params string[] members)
    {
        var client = await node.ConnectAsync();
        await client.RegisterAsync(TestPhones.New());
        await client.SendAsync(new GroupCreate { RequestId = "create", Subject = "failover", Members = { members } });
        var info = await AwaitInfoAsync(client, "create");
        return (client, info.GroupId);
    }

    private static async Task<GroupInfo> AwaitInfoAsync(ProtocolClient client, string requestId)
    {
        while (true)
        {
            var info = await client.ExpectAsync<GroupInfo>(TimeSpan.FromSeconds(30));
            await client.SendAsync(new Ack { UpToSeq = info.Seq });
            if (info.RequestId == requestId)
            {
                return info;
            }
        }
    }

    private static async Task<ClusterNode?> NodeHostingGroupAsync(ChatCluster cluster, string groupId)
    {
        var shard = UserShard.ShardIdOf(groupId);
        foreach (var node in cluster.Running)
        {
            if (node.System is not { } system)
            {
                continue;
            }

            var region = ClusterSharding.Get(system).ShardRegion(GroupShard.TypeName);
            var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
            if (state.Shards.Any(s => s.ShardId == shard))
            {
                return node;
            }
        }

        return null;
    }
}
