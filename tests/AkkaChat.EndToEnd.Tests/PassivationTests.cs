using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;

namespace AkkaChat.EndToEnd.Tests;

/// <summary>
/// User actors passivate while their logged-in sessions are idle (akkachat.users.passivate-logged-in,
/// docs/performance.md): the sessions stay open, and whatever reaches a user afterwards (a message,
/// a receipt, the client's own ACK or READ) wakes its actor, which pushes to the same connection.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PassivationTests : IAsyncLifetime
{
    private static readonly TimeSpan PassivateAfter = TimeSpan.FromSeconds(1);

    // Idle for several passivation periods: the actor's idle check runs at its own pace.
    private static readonly TimeSpan Idle = PassivateAfter * 3;

    private NodeProcess _node = null!;

    public async Task InitializeAsync() => _node = await NodeProcess.StartAsync($"""
        akkachat.users.passivate-logged-in = on
        akkachat.users.passivate-after = {PassivateAfter.TotalSeconds}s
        """);

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task A_message_its_receipts_and_a_read_after_both_users_actors_passivated_reach_the_open_sessions()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var b = await _node.ConnectAsync();
        await b.RegisterAsync(bob);
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);

        // Both sessions idle: a PING is answered by the connection alone and wakes no actor.
        await Task.Delay(Idle);
        await a.ExpectAliveAsync();
        await b.ExpectAliveAsync();

        // A SEND to a passivated recipient wakes it, and its session is pushed the message.
        var ack = await a.SendTextAsync(bob, "p-1", "after a nap");
        var deliver = await b.ExpectAsync<Deliver>();
        Assert.Equal((ack.ServerMsgId, 1UL, "after a nap"), (deliver.ServerMsgId, deliver.Seq, deliver.Body.ToStringUtf8()));

        // The recipient's ACK, after its actor passivated again, reaches the passivated sender as DELIVERED.
        await Task.Delay(Idle);
        await b.SendAsync(new Ack { UpToSeq = deliver.Seq });
        var delivered = await a.ExpectAsync<Receipt>();
        Assert.Equal((ack.ServerMsgId, (uint)ReceiptStatus.Delivered, bob, 1UL), (delivered.ServerMsgId, delivered.Status, delivered.By, delivered.Seq));
        await a.SendAsync(new Ack { UpToSeq = delivered.Seq });

        // A READ after both passivated again reaches the sender as READ.
        await Task.Delay(Idle);
        await b.SendAsync(new Read { From = alice, ServerMsgIds = { deliver.ServerMsgId } });
        var read = await a.ExpectAsync<Receipt>();
        Assert.Equal((ack.ServerMsgId, (uint)ReceiptStatus.Read, bob, 2UL), (read.ServerMsgId, read.Status, read.By, read.Seq));
        await a.SendAsync(new Ack { UpToSeq = read.Seq });

        // And the next message, after one more idle period, comes next in the recipient's order.
        await Task.Delay(Idle);
        var second = await a.SendTextAsync(bob, "p-2", "again");
        var next = await b.ExpectAsync<Deliver>();
        Assert.Equal((second.ServerMsgId, 2UL), (next.ServerMsgId, next.Seq));
        await a.ExpectAliveAsync();
        await b.ExpectAliveAsync();
    }

    [Fact]
    public async Task Twenty_messages_to_a_passivated_session_arrive_each_once_and_in_order()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var b = await _node.ConnectAsync();
        await b.RegisterAsync(bob);
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);
        await Task.Delay(Idle);

        var acks = new List<SendAck>();
        for (var i = 0; i < 20; i++)
        {
            acks.Add(await a.SendTextAsync(bob, $"q-{i}", $"message {i}"));
        }

        var seen = new List<Deliver>();
        while (seen.Count < acks.Count)
        {
            var deliver = await b.ExpectAsync<Deliver>();
            if (seen.All(d => d.ServerMsgId != deliver.ServerMsgId)) // a resume may push an unacknowledged item again
            {
                seen.Add(deliver);
            }
        }

        Assert.Equal(acks.Select(x => x.ServerMsgId), seen.Select(d => d.ServerMsgId));
        Assert.Equal(Enumerable.Range(1, acks.Count).Select(i => (ulong)i), seen.Select(d => d.Seq));
    }
}
