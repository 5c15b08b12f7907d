using System.Text;
using AkkaChat.Protocol;
using AkkaChat.TestKit;

namespace AkkaChat.Client.Tests;

/// <summary>The SDK's presence, typing, contacts and status calls against one real node.</summary>
[Trait("Category", "Slow")]
public sealed class SocialApiTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly NodeProcess _node = fixture.Node;

    [Fact]
    public async Task Contacts_sync_returns_the_registered_numbers_among_those_sent_in_order()
    {
        var (alice, bob, carol, stranger) = (TestPhones.New(), TestPhones.New(), TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(_node, alice);
        await using var b = await Clients.RegisterAsync(_node, bob);
        await using var c = await Clients.RegisterAsync(_node, carol);

        var registered = await a.SyncContactsAsync([carol, stranger, "not a number", bob, " " + carol + " "]).WaitAsync(Clients.Timeout);

        Assert.Equal(new[] { carol, bob }, registered);
        Assert.Empty(await a.SyncContactsAsync([stranger]).WaitAsync(Clients.Timeout));
    }

    [Fact]
    public async Task A_sync_over_the_nodes_max_sync_fails_with_bad_request_and_the_next_sync_is_answered()
    {
        await using var node = await NodeProcess.StartAsync(NodeFixture.Config + "\nakkachat.contacts.max-sync = 2");
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(node, alice);
        await using var b = await Clients.RegisterAsync(node, bob);

        var refused = await Assert.ThrowsAsync<AkkaChatException>(() => a.SyncContactsAsync([bob, TestPhones.New(), TestPhones.New()]).WaitAsync(Clients.Timeout));

        Assert.Equal(ErrorCode.BadRequest, refused.Code);
        Assert.Equal(new[] { bob }, await a.SyncContactsAsync([bob]).WaitAsync(Clients.Timeout));
        var tooMany = await Assert.ThrowsAsync<AkkaChatException>(() => a.SyncContactsAsync(Enumerable.Range(0, 5_000).Select(_ => TestPhones.New())));
        Assert.Equal(ErrorCode.TooLarge, tooMany.Code);
    }

    [Fact]
    public async Task Presence_is_reported_at_once_then_on_each_change_and_again_after_a_reconnect()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(_node, alice);
        var bobCredentials = await RegisterAndLeaveAsync(bob);
        await a.SyncContactsAsync([bob]).WaitAsync(Clients.Timeout);
        await using var aliceEvents = new EventLog(a);

        await a.SubscribePresenceAsync([bob]).WaitAsync(Clients.Timeout);
        await aliceEvents.WaitForAsync(l => Presence(l, bob).Count == 1, "the answer at once");
        Assert.False(Presence(aliceEvents, bob)[0].Online);

        var (b, _) = await Clients.LoginAsync(_node, bobCredentials);
        await aliceEvents.WaitForAsync(l => Presence(l, bob).LastOrDefault() is { Online: true }, "bob online");
        await b.DisposeAsync();
        await aliceEvents.WaitForAsync(l => Presence(l, bob).LastOrDefault() is { Online: false, LastSeen: not null }, "bob offline with a last seen");

        // The subscription ended with the cut connection; the client subscribes again on the next one.
        var before = Presence(aliceEvents, bob).Count;
        a.AbortConnection();
        await aliceEvents.WaitForAsync(l => Presence(l, bob).Count > before, "the current state again after the reconnect");
        Assert.Equal(new[] { bob }, a.WatchedPresence);
        var (again, _) = await Clients.LoginAsync(_node, bobCredentials);
        await using var bobAgain = again;
        await aliceEvents.WaitForAsync(l => Presence(l, bob).LastOrDefault() is { Online: true }, "bob online, seen through the new subscription");
    }

    [Fact]
    public async Task A_number_outside_the_address_book_is_reported_offline_without_last_seen_even_while_online()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(_node, alice);
        await using var b = await Clients.RegisterAsync(_node, bob);
        await using var aliceEvents = new EventLog(a);

        await a.SubscribePresenceAsync([bob]).WaitAsync(Clients.Timeout);

        await aliceEvents.WaitForAsync(l => Presence(l, bob).Count == 1, "the answer");
        Assert.Equal(new PresenceChanged(bob, false, null), Presence(aliceEvents, bob)[0]);
    }

    [Fact]
    public async Task Typing_reaches_the_connected_peer_in_each_state_and_a_bad_address_is_refused_locally()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(_node, alice);
        await using var b = await Clients.RegisterAsync(_node, bob);
        await using var bobEvents = new EventLog(b);

        foreach (var state in new[] { TypingState.Composing, TypingState.Recording, TypingState.Paused })
        {
            Assert.True(await a.SendTypingAsync(bob, state).WaitAsync(Clients.Timeout));
        }

        await bobEvents.WaitForAsync(l => l.All.OfType<TypingChanged>().Count() == 3, "three typing notifications");
        Assert.Equal(
            new[] { TypingState.Composing, TypingState.Recording, TypingState.Paused },
            bobEvents.All.OfType<TypingChanged>().Select(t => t.State));
        Assert.All(bobEvents.All.OfType<TypingChanged>(), t => Assert.Equal((alice, ""), (t.From, t.GroupId)));
        Assert.All(bobEvents.All, e => Assert.Equal(0UL, e.Seq));

        var refused = await Assert.ThrowsAsync<AkkaChatException>(() => a.SendTypingAsync("bob", TypingState.Composing));
        Assert.Equal(ErrorCode.BadRequest, refused.Code);
    }

    [Fact]
    public async Task A_posted_status_is_acknowledged_with_its_id_and_arrives_at_a_mutual_contact_with_its_expiry()
    {
        var (alice, bob, carol) = (TestPhones.New(), TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(_node, alice);
        await using var b = await Clients.RegisterAsync(_node, bob);
        await using var c = await Clients.RegisterAsync(_node, carol);
        await a.SyncContactsAsync([bob, carol]).WaitAsync(Clients.Timeout);
        await b.SyncContactsAsync([alice]).WaitAsync(Clients.Timeout); // carol does not have alice: not mutual
        await using var bobEvents = new EventLog(b);
        await using var carolEvents = new EventLog(c);

        var text = await a.PostStatusAsync("at the beach", "status-1").WaitAsync(Clients.Timeout);
        var photo = await a.PostStatusAsync(MessageKind.Image, Encoding.UTF8.GetBytes("sunset"), "media-123").WaitAsync(Clients.Timeout);

        Assert.Equal("status-1", text.ClientMsgId);
        Assert.NotEmpty(text.ServerMsgId);
        await bobEvents.WaitForAsync(l => l.All.OfType<StatusReceived>().Count() == 2, "bob got both statuses");
        var (first, second) = (bobEvents.All.OfType<StatusReceived>().First(), bobEvents.All.OfType<StatusReceived>().Last());
        Assert.Equal((text.ServerMsgId, alice, MessageKind.Text, "at the beach"), (first.StatusId, first.From, first.Kind, first.Text));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(text.ServerTimeMs), first.PostedAt);
        Assert.Equal(TimeSpan.FromHours(24), first.ExpiresAt - first.PostedAt);
        Assert.False(first.IsExpired(DateTimeOffset.UtcNow));
        Assert.True(first.Seq > 0);
        Assert.Equal((photo.ServerMsgId, MessageKind.Image, "media-123", "sunset"), (second.StatusId, second.Kind, second.MediaId, second.Text));

        // The same request id again is the same status, and bob does not get it twice.
        Assert.Equal(text.ServerMsgId, (await a.PostStatusAsync("at the beach", "status-1").WaitAsync(Clients.Timeout)).ServerMsgId);
        // A message sent after the repeat is queued behind anything the repeat queued: once it is here, a second copy would be too.
        var ping = await a.SendTextAsync(bob, "marker").WaitAsync(Clients.Timeout);
        await bobEvents.WaitForAsync(l => l.Messages.Any(m => m.ServerMsgId == ping.ServerMsgId), "bob got the marker after the repeat");
        Assert.Equal(2, bobEvents.All.OfType<StatusReceived>().Count());
        Assert.Empty(carolEvents.All.OfType<StatusReceived>());
    }

    [Fact]
    public async Task A_status_the_node_refuses_fails_with_its_code_and_invalid_input_is_refused_locally()
    {
        var alice = TestPhones.New();
        await using var a = await Clients.RegisterAsync(_node, alice);

        var empty = await Assert.ThrowsAsync<AkkaChatException>(() => a.PostStatusAsync(MessageKind.Text, ReadOnlyMemory<byte>.Empty));
        Assert.Equal(ErrorCode.BadRequest, empty.Code);
        var kind = await Assert.ThrowsAsync<AkkaChatException>(() => a.PostStatusAsync((MessageKind)9, new byte[] { 1 }));
        Assert.Equal(ErrorCode.BadRequest, kind.Code);
        var tooLarge = await Assert.ThrowsAsync<AkkaChatException>(() => a.PostStatusAsync(new string('x', 70_000)));
        Assert.Equal(ErrorCode.TooLarge, tooLarge.Code);

        // Over the node's body limit but within a frame: the node's ERROR (ref = request_id) fails the call.
        var refused = await Assert.ThrowsAsync<AkkaChatException>(() => a.PostStatusAsync(new string('x', 65_000), "big").WaitAsync(Clients.Timeout));
        Assert.Equal("big", refused.Ref);
        Assert.Contains(refused.Code, new[] { ErrorCode.BadRequest, ErrorCode.TooLarge });
    }

    private static IReadOnlyList<PresenceChanged> Presence(EventLog log, string phone) =>
        log.All.OfType<PresenceChanged>().Where(p => p.Phone == phone).ToArray();

    private async Task<Credentials> RegisterAndLeaveAsync(string phone)
    {
        await using var client = await Clients.RegisterAsync(_node, phone);
        return client.Credentials!;
    }
}
