using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Google.Protobuf;

namespace AkkaChat.EndToEnd.Tests;

/// <summary>24-hour statuses and message kinds against a real node process over TCP.</summary>
[Trait("Category", "Slow")]
public sealed class StatusAndKindsTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private static readonly TimeSpan Day = TimeSpan.FromHours(24);

    private readonly NodeProcess _node = fixture.Node;

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static async Task SyncAsync(ProtocolClient client, params string[] phones)
    {
        await client.SendAsync(new ContactsSync { Phones = { phones } });
        await client.ExpectAsync<ContactsResult>();
    }

    /// <summary>Registers <paramref name="phone"/>, syncs <paramref name="book"/> and leaves; returns the token.</summary>
    private static async Task<ByteString> RegisterWithBookAsync(NodeProcess node, string phone, params string[] book)
    {
        await using var client = await node.ConnectAsync();
        var token = (await client.RegisterAsync(phone)).Token;
        await SyncAsync(client, book);
        return token;
    }

    private static async Task<SendAck> PostAsync(ProtocolClient client, string requestId, string text)
    {
        await client.SendAsync(new StatusPost { RequestId = requestId, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8(text) });
        var ack = await client.ExpectAsync<SendAck>();
        Assert.Equal(requestId, ack.ClientMsgId);
        return ack;
    }

    [Fact]
    public async Task A_status_is_queued_for_every_registered_mutual_contact_and_for_nobody_else()
    {
        var (alice, bob, carol, dave, stranger) = (TestPhones.New(), TestPhones.New(), TestPhones.New(), TestPhones.New(), TestPhones.New());
        var bobToken = await RegisterWithBookAsync(_node, bob, alice);
        var carolToken = await RegisterWithBookAsync(_node, carol, dave); // alice has carol, carol has not alice
        var daveToken = await RegisterWithBookAsync(_node, dave, alice); // dave has alice, alice has not dave
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);
        await SyncAsync(a, bob, carol, stranger);

        var before = Now;
        var ack = await PostAsync(a, "st-1", "at the beach");

        await using var b = await _node.ConnectAsync();
        Assert.Equal(1UL, (await b.LoginAsync(bob, bobToken)).Pending);
        var update = await b.ExpectAsync<StatusUpdate>();
        Assert.Equal(1UL, update.Seq);
        Assert.Equal(alice, update.From);
        Assert.Equal(ack.ServerMsgId, update.StatusId);
        Assert.Equal((uint)MessageKind.Text, update.Kind);
        Assert.Equal("at the beach", update.Body.ToStringUtf8());
        Assert.InRange(update.PostedAtMs, before - 1_000, Now + 1_000);
        Assert.Equal(update.PostedAtMs + (long)Day.TotalMilliseconds, update.ExpiresAtMs);

        foreach (var (phone, token) in new[] { (carol, carolToken), (dave, daveToken) })
        {
            await using var other = await _node.ConnectAsync();
            Assert.Equal(0UL, (await other.LoginAsync(phone, token)).Pending);
            await other.ExpectAliveAsync();
        }
    }

    [Fact]
    public async Task A_status_is_pushed_live_to_a_connected_mutual_contact()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var b = await _node.ConnectAsync();
        await b.RegisterAsync(bob);
        await SyncAsync(b, alice);
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);
        await SyncAsync(a, bob);

        var ack = await PostAsync(a, "live-1", "hello world");

        var update = await b.ExpectAsync<StatusUpdate>();
        Assert.Equal(ack.ServerMsgId, update.StatusId);
        Assert.Equal("hello world", update.Body.ToStringUtf8());
    }

    [Fact]
    public async Task Posting_the_same_request_id_again_returns_the_same_status_and_queues_it_once()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        var bobToken = await RegisterWithBookAsync(_node, bob, alice);
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);
        await SyncAsync(a, bob);

        var first = await PostAsync(a, "again-1", "once");
        var second = await PostAsync(a, "again-1", "once");
        await a.SendTextAsync(bob, "after-status", "a message after the status");

        Assert.Equal(first.ServerMsgId, second.ServerMsgId);
        await using var b = await _node.ConnectAsync();
        Assert.Equal(2UL, (await b.LoginAsync(bob, bobToken)).Pending);
        Assert.Equal(first.ServerMsgId, (await b.ExpectAsync<StatusUpdate>()).StatusId);
        Assert.Equal(2UL, (await b.ExpectAsync<Deliver>()).Seq);
    }

    [Fact]
    public async Task An_expired_status_never_arrives_and_does_not_hold_back_the_items_behind_it()
    {
        await using var node = await NodeProcess.StartAsync(NodeFixture.Config + "\nakkachat.status.ttl = 3s\n");
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        var bobToken = await RegisterWithBookAsync(node, bob, alice);
        await using var a = await node.ConnectAsync();
        await a.RegisterAsync(alice);
        await SyncAsync(a, bob);
        var before = await a.SendTextAsync(bob, "before", "queued before the status");
        var status = await PostAsync(a, "short-lived", "gone soon");
        var after = await a.SendTextAsync(bob, "after", "queued behind the status");

        // Wait until the status has expired by the clock (the node's clock is this machine's).
        var expired = status.ServerTimeMs + 3_000 + 500;
        while (Now < expired)
        {
            await a.ExpectAliveAsync();
        }

        await using var b = await node.ConnectAsync();
        await b.LoginAsync(bob, bobToken);
        var first = await b.ExpectAsync<Deliver>();
        var second = await b.ExpectAsync<Deliver>();
        Assert.Equal((1UL, before.ServerMsgId), (first.Seq, first.ServerMsgId));
        Assert.Equal((3UL, after.ServerMsgId), (second.Seq, second.ServerMsgId)); // seq 2, the status, is never sent
        await b.SendAsync(new Ack { UpToSeq = 3 });
        await b.ExpectAliveAsync();
    }

    [Fact]
    public async Task A_status_post_of_an_unknown_kind_or_without_content_is_bad_request()
    {
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(TestPhones.New());

        await a.SendAsync(new StatusPost { RequestId = "k8", Kind = 8, Body = ByteString.CopyFromUtf8("?") });
        await a.ExpectErrorAsync(ErrorCode.BadRequest, reference: "k8");
        await a.SendAsync(new StatusPost { RequestId = "empty", Kind = 1 });
        await a.ExpectErrorAsync(ErrorCode.BadRequest, reference: "empty");
        await a.ExpectAliveAsync();
    }

    [Fact]
    public async Task Every_kind_from_1_to_7_is_delivered_as_sent_and_a_voice_message_keeps_its_media_id()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var b = await _node.ConnectAsync();
        await b.RegisterAsync(bob);
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);

        for (uint kind = 1; kind <= 7; kind++)
        {
            var media = kind == (uint)MessageKind.Audio ? "voice-note-1" : "";
            await a.SendAsync(new Send { ClientMsgId = "k" + kind, To = bob, Kind = kind, Body = ByteString.CopyFromUtf8("x"), MediaId = media });
            Assert.Equal("k" + kind, (await a.ExpectAsync<SendAck>()).ClientMsgId);
            var deliver = await b.ExpectAsync<Deliver>();
            Assert.Equal(kind, deliver.Kind);
            Assert.Equal(media, deliver.MediaId);
        }
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(8u)]
    public async Task A_send_of_a_kind_outside_1_to_7_is_bad_request(uint kind)
    {
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(TestPhones.New());

        await a.SendAsync(new Send { ClientMsgId = "bad-kind", To = TestPhones.New(), Kind = kind, Body = ByteString.CopyFromUtf8("x") });

        await a.ExpectErrorAsync(ErrorCode.BadRequest, reference: "bad-kind");
        await a.ExpectAliveAsync();
    }
}
