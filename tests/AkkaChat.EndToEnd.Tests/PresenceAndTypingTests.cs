using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Google.Protobuf;
using PresenceFrame = AkkaChat.Protocol.Messages.Presence;

namespace AkkaChat.EndToEnd.Tests;

/// <summary>Presence, typing and contacts against a real node process over TCP, as a client written from PROTOCOL.md sees them.</summary>
[Trait("Category", "Slow")]
public sealed class PresenceAndTypingTests(PresenceAndTypingTests.Fixture fixture) : IClassFixture<PresenceAndTypingTests.Fixture>
{
    public const int MaxSync = 100;

    private readonly NodeProcess _node = fixture.Node;

    /// <summary>A node with a small akkachat.contacts.max-sync, so that an oversized sync fits in a frame.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public NodeProcess Node { get; private set; } = null!;

        public async Task InitializeAsync() => Node = await NodeProcess.StartAsync(NodeFixture.Config + $"\nakkachat.contacts.max-sync = {MaxSync}\n");

        public async Task DisposeAsync() => await Node.DisposeAsync();
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private async Task<ByteString> RegisterAndLeaveAsync(string phone)
    {
        await using var client = await _node.ConnectAsync();
        return (await client.RegisterAsync(phone)).Token;
    }

    private static async Task<ContactsResult> SyncAsync(ProtocolClient client, params string[] phones)
    {
        await client.SendAsync(new ContactsSync { Phones = { phones } });
        return await client.ExpectAsync<ContactsResult>();
    }

    // ---- contacts ----

    [Fact]
    public async Task Contacts_sync_answers_the_registered_numbers_among_those_sent_skipping_invalid_ones()
    {
        var (alice, bob, carol, stranger) = (TestPhones.New(), TestPhones.New(), TestPhones.New(), TestPhones.New());
        await RegisterAndLeaveAsync(bob);
        await RegisterAndLeaveAsync(carol);
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);

        var result = await SyncAsync(a, bob, "not a number", stranger, carol, "+1", bob);

        Assert.Equal(new[] { bob, carol }.Order(), result.Registered.Order());
        await a.ExpectAliveAsync();
    }

    [Fact]
    public async Task An_oversized_contacts_sync_is_bad_request_and_the_connection_stays()
    {
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(TestPhones.New());

        await a.SendAsync(new ContactsSync { Phones = { Enumerable.Range(0, MaxSync + 1).Select(i => "+1777" + i.ToString("D7")) } });

        await a.ExpectErrorAsync(ErrorCode.BadRequest);
        await a.ExpectAliveAsync();
    }

    [Fact]
    public async Task A_second_contacts_sync_replaces_the_first()
    {
        var (alice, bob, carol) = (TestPhones.New(), TestPhones.New(), TestPhones.New());
        await using var b = await _node.ConnectAsync();
        await b.RegisterAsync(bob);
        await RegisterAndLeaveAsync(carol);
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);
        await SyncAsync(a, bob);

        var second = await SyncAsync(a, carol);
        await a.SendAsync(new PresenceSubscribe { Phones = { bob } });

        Assert.Equal([carol], second.Registered);
        var presence = await a.ExpectAsync<PresenceFrame>();
        Assert.False(presence.Online, "bob left the address book, so his presence is not shown");
    }

    // ---- presence ----

    [Fact]
    public async Task Presence_subscribe_answers_at_once_and_again_on_each_change()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        var bobToken = await RegisterAndLeaveAsync(bob);
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);
        await SyncAsync(a, bob);

        await a.SendAsync(new PresenceSubscribe { Phones = { bob } });
        var first = await a.ExpectAsync<PresenceFrame>();
        Assert.Equal(bob, first.Phone);
        Assert.False(first.Online);

        var b = await _node.ConnectAsync();
        await b.LoginAsync(bob, bobToken);
        var online = await a.ExpectAsync<PresenceFrame>();
        Assert.True(online.Online);
        Assert.Equal(0, online.LastSeenMs);

        var closedAt = Now;
        await b.DisposeAsync();
        var offline = await a.ExpectAsync<PresenceFrame>();
        Assert.Equal(bob, offline.Phone);
        Assert.False(offline.Online);
        Assert.InRange(offline.LastSeenMs, closedAt - 1_000, Now + 1_000);
    }

    [Fact]
    public async Task Last_seen_is_set_once_the_users_last_session_has_closed()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        var before = Now;
        await RegisterAndLeaveAsync(bob);
        var after = Now;
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);
        await SyncAsync(a, bob);

        await a.SendAsync(new PresenceSubscribe { Phones = { bob } });
        var presence = await a.ExpectAsync<PresenceFrame>(TimeSpan.FromSeconds(15));

        // The registering connection's close may reach the node a moment after the client closed it.
        if (presence.Online)
        {
            presence = await a.ExpectAsync<PresenceFrame>();
        }

        Assert.False(presence.Online);
        Assert.InRange(presence.LastSeenMs, before, after + 2_000);
    }

    [Fact]
    public async Task A_number_outside_the_address_book_is_answered_offline_with_no_last_seen()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var b = await _node.ConnectAsync();
        await b.RegisterAsync(bob);
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);

        await a.SendAsync(new PresenceSubscribe { Phones = { bob } });
        var presence = await a.ExpectAsync<PresenceFrame>();
        Assert.Equal(bob, presence.Phone);
        Assert.False(presence.Online);
        Assert.Equal(0, presence.LastSeenMs);

        // Not watched either: bob's going offline is not reported.
        await b.DisposeAsync();
        await a.ExpectAliveAsync();
    }

    [Fact]
    public async Task Presence_is_never_queued_a_subscriber_learns_the_current_state_when_it_subscribes_again()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        var bobToken = await RegisterAndLeaveAsync(bob);
        ByteString aliceToken;
        await using (var a = await _node.ConnectAsync())
        {
            aliceToken = (await a.RegisterAsync(alice)).Token;
            await SyncAsync(a, bob);
            await a.SendAsync(new PresenceSubscribe { Phones = { bob } });
            Assert.False((await a.ExpectAsync<PresenceFrame>()).Online);
        }

        // Bob comes online while alice is away; her subscription ended with her session.
        await using var b = await _node.ConnectAsync();
        await b.LoginAsync(bob, bobToken);

        await using var again = await _node.ConnectAsync();
        var ok = await again.LoginAsync(alice, aliceToken);
        Assert.Equal(0UL, ok.Pending);
        await again.ExpectAliveAsync(); // PONG is the next frame: no PRESENCE was kept for her

        await again.SendAsync(new PresenceSubscribe { Phones = { bob } });
        var now = await again.ExpectAsync<PresenceFrame>();
        Assert.True(now.Online);
    }

    [Fact]
    public async Task An_invalid_number_in_a_subscription_is_bad_request_and_the_others_are_answered()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await RegisterAndLeaveAsync(bob);
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);
        await SyncAsync(a, bob);

        await a.SendAsync(new PresenceSubscribe { Phones = { "12345", bob } });

        await a.ExpectErrorAsync(ErrorCode.BadRequest, reference: "12345");
        Assert.Equal(bob, (await a.ExpectAsync<PresenceFrame>()).Phone);
    }

    // ---- typing ----

    [Fact]
    public async Task Typing_reaches_a_connected_peer_as_typing_notify_in_each_state()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var b = await _node.ConnectAsync();
        await b.RegisterAsync(bob);
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);

        foreach (var state in new[] { TypingState.Composing, TypingState.Recording, TypingState.Paused })
        {
            await a.SendAsync(new Typing { To = bob, State = (uint)state });
            var notify = await b.ExpectAsync<TypingNotify>();
            Assert.Equal(alice, notify.From);
            Assert.Equal((uint)state, notify.State);
            Assert.Empty(notify.GroupId);
        }
    }

    [Fact]
    public async Task Typing_to_an_offline_user_is_dropped_and_never_delivered_at_login()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        var bobToken = await RegisterAndLeaveAsync(bob);
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(alice);

        await a.SendAsync(new Typing { To = bob, State = (uint)TypingState.Composing });
        await a.ExpectAliveAsync();

        await using var b = await _node.ConnectAsync();
        var ok = await b.LoginAsync(bob, bobToken);
        Assert.Equal(0UL, ok.Pending);
        await b.ExpectAliveAsync(); // nothing before the PONG
    }

    [Fact]
    public async Task Typing_to_an_unknown_number_is_dropped_silently()
    {
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(TestPhones.New());

        await a.SendAsync(new Typing { To = TestPhones.New(), State = (uint)TypingState.Composing });

        await a.ExpectAliveAsync();
    }

    [Fact]
    public async Task Typing_in_an_unknown_state_or_to_an_invalid_number_is_bad_request()
    {
        var bob = TestPhones.New();
        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(TestPhones.New());

        await a.SendAsync(new Typing { To = bob, State = 3 });
        await a.ExpectErrorAsync(ErrorCode.BadRequest);
        await a.SendAsync(new Typing { To = "bob", State = 1 });
        await a.ExpectErrorAsync(ErrorCode.BadRequest);
        await a.ExpectAliveAsync();
    }
}
