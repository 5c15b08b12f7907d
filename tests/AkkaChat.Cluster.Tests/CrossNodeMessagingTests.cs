using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;

namespace AkkaChat.Cluster.Tests;

[Trait("Category", "Slow")]
public sealed class CrossNodeMessagingTests
{
    [Fact]
    public async Task A_message_crosses_nodes_and_its_receipts_come_back()
    {
        await using var cluster = await ChatCluster.StartAsync(3);
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await cluster.Nodes[0].ConnectAsync();
        await a.RegisterAsync(alice);
        await using var b = await cluster.Nodes[1].ConnectAsync();
        await b.RegisterAsync(bob);

        var ack = await a.SendTextAsync(bob, "x-1", "across the cluster");
        var deliver = await b.ExpectAsync<Deliver>();
        await b.SendAsync(new Ack { UpToSeq = deliver.Seq });
        await b.SendAsync(new Read { From = alice, ServerMsgIds = { deliver.ServerMsgId } });

        Assert.Equal((ack.ServerMsgId, alice, "across the cluster"), (deliver.ServerMsgId, deliver.From, deliver.Body.ToStringUtf8()));
        var delivered = await a.ExpectAsync<Receipt>();
        var read = await a.ExpectAsync<Receipt>();
        Assert.Equal(
            [(ack.ServerMsgId, (uint)ReceiptStatus.Delivered, bob), (ack.ServerMsgId, (uint)ReceiptStatus.Read, bob)],
            [(delivered.ServerMsgId, delivered.Status, delivered.By), (read.ServerMsgId, read.Status, read.By)]);
    }

    [Fact]
    public async Task A_message_its_receipts_and_a_read_cross_nodes_after_both_users_actors_passivated_while_logged_in()
    {
        var idle = TimeSpan.FromSeconds(3); // three passivation periods
        await using var cluster = await ChatCluster.StartAsync(3, new ChatClusterOptions
        {
            Hocon = """
                akkachat.users.passivate-logged-in = on
                akkachat.users.passivate-after = 1s
                """,
        });
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await cluster.Nodes[0].ConnectAsync();
        await a.RegisterAsync(alice);
        await using var b = await cluster.Nodes[1].ConnectAsync();
        await b.RegisterAsync(bob);
        await Task.Delay(idle);

        var ack = await a.SendTextAsync(bob, "xp-1", "across the cluster, after a nap");
        var deliver = await b.ExpectAsync<Deliver>();
        Assert.Equal(ack.ServerMsgId, deliver.ServerMsgId);
        await Task.Delay(idle);
        await b.SendAsync(new Ack { UpToSeq = deliver.Seq });
        var delivered = await a.ExpectAsync<Receipt>();
        await a.SendAsync(new Ack { UpToSeq = delivered.Seq });
        await Task.Delay(idle);
        await b.SendAsync(new Read { From = alice, ServerMsgIds = { deliver.ServerMsgId } });
        var read = await a.ExpectAsync<Receipt>();

        Assert.Equal(
            [(ack.ServerMsgId, (uint)ReceiptStatus.Delivered, bob), (ack.ServerMsgId, (uint)ReceiptStatus.Read, bob)],
            [(delivered.ServerMsgId, delivered.Status, delivered.By), (read.ServerMsgId, read.Status, read.By)]);
        await a.ExpectAliveAsync();
        await b.ExpectAliveAsync();
    }
}
