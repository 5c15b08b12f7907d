using AkkaChat.TestKit;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.EndToEnd.Tests;

[Trait("Category", "Slow")]
public sealed class OneToOneMessagingTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly NodeProcess _node = fixture.Node;

    [Fact]
    public async Task A_registered_user_logs_in_again_with_its_device_token()
    {
        var phone = TestPhones.New();
        ByteString token;
        await using (var first = await _node.ConnectAsync())
        {
            var registered = await first.RegisterAsync(phone);
            token = registered.Token;
            Assert.Equal(0UL, registered.Pending);
        }

        await using var second = await _node.ConnectAsync();
        var ok = await second.LoginAsync(phone, token);
        Assert.True(ok.Token.IsEmpty, "AUTH_OK after AUTH_LOGIN carries no token");
        Assert.NotEmpty(ok.Node);
        Assert.InRange(ok.ServerTimeMs, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());
        await second.ExpectAliveAsync();
    }

    [Fact]
    public async Task A_message_to_an_offline_user_is_stored_and_delivered_at_login()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        var bobToken = await RegisterAndLeaveAsync(bob);
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);

        var ack = await a.SendTextAsync(bob, "m1", "hello bob");

        await using var b = await _node.ConnectAsync();
        var ok = await b.LoginAsync(bob, bobToken);
        Assert.Equal(1UL, ok.Pending);
        var deliver = await b.ExpectAsync<Deliver>();
        Assert.Equal(1UL, deliver.Seq);
        Assert.Equal(ack.ServerMsgId, deliver.ServerMsgId);
        Assert.Equal(alice, deliver.From);
        Assert.Equal((uint)MessageKind.Text, deliver.Kind);
        Assert.Equal("hello bob", deliver.Body.ToStringUtf8());
        Assert.Equal(ack.ServerTimeMs, deliver.SentAtMs);
        Assert.Empty(deliver.GroupId);
    }

    [Fact]
    public async Task A_message_to_an_online_user_is_pushed_live()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var b = await _node.ConnectAsync();
        await b.RegisterAsync(bob);
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);

        var ack = await a.SendTextAsync(bob, "live-1", "are you there?");

        var deliver = await b.ExpectAsync<Deliver>();
        Assert.Equal(ack.ServerMsgId, deliver.ServerMsgId);
        Assert.Equal("are you there?", deliver.Body.ToStringUtf8());
    }

    [Fact]
    public async Task Delivered_and_read_receipts_reach_an_offline_sender_at_its_next_login()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var b = await _node.ConnectAsync();
        await b.RegisterAsync(bob);
        ByteString aliceToken;
        SendAck ack;
        await using (var a = await _node.ConnectAsync())
        {
            aliceToken = (await a.RegisterAsync(alice)).Token;
            ack = await a.SendTextAsync(bob, "r-1", "read me");
        }

        var deliver = await b.ExpectAsync<Deliver>();
        await b.SendAsync(new Ack { UpToSeq = deliver.Seq });
        await b.SendAsync(new Read { From = alice, ServerMsgIds = { deliver.ServerMsgId } });
        await b.ExpectAliveAsync(); // both were handled

        await using var a2 = await _node.ConnectAsync();
        await a2.LoginAsync(alice, aliceToken);
        var receipts = new List<Receipt> { await a2.ExpectAsync<Receipt>(), await a2.ExpectAsync<Receipt>() };
        Assert.Equal([(uint)ReceiptStatus.Delivered, (uint)ReceiptStatus.Read], receipts.Select(r => r.Status));
        Assert.All(receipts, r =>
        {
            Assert.Equal(ack.ServerMsgId, r.ServerMsgId);
            Assert.Equal("r-1", r.ClientMsgId);
            Assert.Equal(bob, r.By);
        });
        Assert.Equal([1UL, 2UL], receipts.Select(r => r.Seq));
    }

    [Fact]
    public async Task Resending_a_client_msg_id_returns_the_same_send_ack_and_never_delivers_twice()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var b = await _node.ConnectAsync();
        await b.RegisterAsync(bob);
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);

        var first = await a.SendTextAsync(bob, "dup-1", "once");
        var again = await a.SendTextAsync(bob, "dup-1", "once");
        var next = await a.SendTextAsync(bob, "dup-2", "twice");

        Assert.Equal(first.ServerMsgId, again.ServerMsgId);
        Assert.Equal(first.ServerTimeMs, again.ServerTimeMs);
        var d1 = await b.ExpectAsync<Deliver>();
        var d2 = await b.ExpectAsync<Deliver>();
        Assert.Equal([first.ServerMsgId, next.ServerMsgId], [d1.ServerMsgId, d2.ServerMsgId]);
        Assert.Equal([1UL, 2UL], [d1.Seq, d2.Seq]);
    }

    [Fact]
    public async Task Five_hundred_messages_from_one_sender_arrive_in_the_order_of_their_send_acks()
    {
        const int count = 500;
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var b = await _node.ConnectAsync();
        await b.RegisterAsync(bob);
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);

        for (var i = 0; i < count; i++)
        {
            await a.SendAsync(new Send { ClientMsgId = $"o-{i}", To = bob, Kind = 1, Body = ByteString.CopyFromUtf8($"#{i}") });
        }

        var acked = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var ack = await a.ExpectAsync<SendAck>();
            Assert.Equal($"o-{i}", ack.ClientMsgId);
            acked.Add(ack.ServerMsgId);
        }

        var delivered = new List<string>();
        while (delivered.Count < count)
        {
            var deliver = await b.ExpectAsync<Deliver>();
            Assert.Equal((ulong)delivered.Count + 1, deliver.Seq);
            delivered.Add(deliver.ServerMsgId);
            if (delivered.Count % 100 == 0)
            {
                await b.SendAsync(new Ack { UpToSeq = deliver.Seq }); // the node pushes a window at a time
            }
        }

        Assert.Equal(acked, delivered);
    }

    [Fact]
    public async Task Items_not_acknowledged_are_sent_again_with_the_same_ids_after_the_next_login()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);
        ByteString bobToken;
        List<Deliver> firstTime = new();
        await using (var b = await _node.ConnectAsync())
        {
            bobToken = (await b.RegisterAsync(bob)).Token;
            for (var i = 0; i < 3; i++)
            {
                await a.SendTextAsync(bob, $"u-{i}", $"unacked {i}");
                firstTime.Add(await b.ExpectAsync<Deliver>());
            }

            await b.SendAsync(new Ack { UpToSeq = firstTime[0].Seq }); // only the first
            await b.ExpectAliveAsync();
        }

        await using var again = await _node.ConnectAsync();
        var ok = await again.LoginAsync(bob, bobToken);
        Assert.Equal(2UL, ok.Pending);
        var redelivered = new[] { await again.ExpectAsync<Deliver>(), await again.ExpectAsync<Deliver>() };
        Assert.Equal(firstTime.Skip(1).Select(d => (d.Seq, d.ServerMsgId)), redelivered.Select(d => (d.Seq, d.ServerMsgId)));

        await again.SendAsync(new Ack { UpToSeq = redelivered[^1].Seq });
        await again.ExpectAliveAsync();
        await using var third = await _node.ConnectAsync();
        Assert.Equal(0UL, (await third.LoginAsync(bob, bobToken)).Pending);
        await third.ExpectAliveAsync(); // and nothing is pushed before the PONG
    }

    [Fact]
    public async Task Seq_counts_on_without_gaps_after_acknowledged_items_and_receipts_reach_an_online_sender_live()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);
        await using var b = await _node.ConnectAsync();
        await b.RegisterAsync(bob);

        var seqs = new List<ulong>();
        var receiptSeqs = new List<ulong>();
        for (var i = 0; i < 4; i++)
        {
            var ack = await a.SendTextAsync(bob, $"s-{i}", "x");
            var d = await b.ExpectAsync<Deliver>();
            seqs.Add(d.Seq);
            await b.SendAsync(new Ack { UpToSeq = d.Seq });
            var receipt = await a.ExpectAsync<Receipt>(); // the sender is online: its receipt is pushed live
            Assert.Equal((ack.ServerMsgId, (uint)ReceiptStatus.Delivered), (receipt.ServerMsgId, receipt.Status));
            receiptSeqs.Add(receipt.Seq);
            await a.SendAsync(new Ack { UpToSeq = receipt.Seq });
        }

        Assert.Equal([1UL, 2UL, 3UL, 4UL], seqs);
        Assert.Equal([1UL, 2UL, 3UL, 4UL], receiptSeqs);
    }

    [Fact]
    public async Task A_new_login_closes_the_older_session_with_replaced()
    {
        var phone = TestPhones.New();
        await using var first = await _node.ConnectAsync();
        var token = (await first.RegisterAsync(phone)).Token;

        await using var second = await _node.ConnectAsync();
        await second.LoginAsync(phone, token);

        await first.ExpectErrorAsync(ErrorCode.Replaced);
        await first.ExpectClosedAsync();
        await second.ExpectAliveAsync();
    }

    private async Task<ByteString> RegisterAndLeaveAsync(string phone)
    {
        await using var client = await _node.ConnectAsync();
        return (await client.RegisterAsync(phone)).Token;
    }
}
