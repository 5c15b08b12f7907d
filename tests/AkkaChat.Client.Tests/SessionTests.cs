using AkkaChat.Protocol;
using AkkaChat.TestKit;

namespace AkkaChat.Client.Tests;

/// <summary>Registration, login, sending, receipts and errors between SDK clients and one real node.</summary>
[Trait("Category", "Slow")]
public sealed class SessionTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly NodeProcess _node = fixture.Node;

    [Fact]
    public async Task Two_registered_clients_exchange_a_message_that_the_sender_sees_acknowledged()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(_node, alice);
        await using var b = await Clients.RegisterAsync(_node, bob);
        await using var bobEvents = new EventLog(b);

        var ack = await a.SendTextAsync(bob, "hello bob", "m-1").WaitAsync(Clients.Timeout);

        Assert.Equal("m-1", ack.ClientMsgId);
        await bobEvents.WaitForAsync(l => l.Messages.Count == 1, "bob got the message");
        var message = bobEvents.Messages.Single();
        Assert.Equal((ack.ServerMsgId, alice, MessageKind.Text, "hello bob"), (message.ServerMsgId, message.From, message.Kind, message.Text));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(ack.ServerTimeMs), message.SentAt);
        Assert.Equal(1UL, message.Seq);
        Assert.Equal(ConnectionState.Ready, a.State);
    }

    [Fact]
    public async Task Stored_credentials_log_in_again_and_bring_the_messages_queued_meanwhile()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        Credentials bobCredentials;
        await using (var first = await Clients.RegisterAsync(_node, bob))
        {
            bobCredentials = first.Credentials!;
            Assert.Equal(bob, bobCredentials.Phone);
            Assert.True(bobCredentials.Token.Length >= 32);
        }

        await using var a = await Clients.RegisterAsync(_node, alice);
        await a.SendTextAsync(bob, "while you were away").WaitAsync(Clients.Timeout);

        var (b, login) = await Clients.LoginAsync(_node, bobCredentials);
        await using (b)
        {
            Assert.Equal(1UL, login.Pending);
            await using var events = new EventLog(b);
            await events.WaitForAsync(l => l.Messages.Count == 1, "the queued message arrived");
            Assert.Equal("while you were away", events.Messages[0].Text);
        }
    }

    [Fact]
    public async Task The_sender_gets_delivered_then_read_receipts_for_its_client_msg_id()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(_node, alice);
        await using var b = await Clients.RegisterAsync(_node, bob);
        await using var aliceEvents = new EventLog(a);
        await using var bobEvents = new EventLog(b);

        var ack = await a.SendTextAsync(bob, "read me", "r-1").WaitAsync(Clients.Timeout);
        await bobEvents.WaitForAsync(l => l.Messages.Count == 1, "bob got the message");
        await aliceEvents.WaitForAsync(l => l.Receipts.Count == 1, "alice got DELIVERED once bob moved past the message");
        await b.MarkReadAsync(alice, [bobEvents.Messages[0].ServerMsgId]).WaitAsync(Clients.Timeout);
        await aliceEvents.WaitForAsync(l => l.Receipts.Count == 2, "alice got READ");

        Assert.Equal([ReceiptStatus.Delivered, ReceiptStatus.Read], aliceEvents.Receipts.Select(r => r.Status));
        Assert.All(aliceEvents.Receipts, r => Assert.Equal((ack.ServerMsgId, "r-1", bob), (r.ServerMsgId, r.ClientMsgId, r.By)));
    }

    [Fact]
    public async Task An_item_is_acknowledged_once_the_enumeration_moves_past_it_and_not_before()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(_node, alice);
        var b = await Clients.RegisterAsync(_node, bob);
        var bobCredentials = b.Credentials!;
        for (var i = 0; i < 3; i++)
        {
            await a.SendTextAsync(bob, $"#{i}").WaitAsync(Clients.Timeout);
        }

        // Take two items; ending the loop on the second moves past it. The third stays buffered.
        var taken = new List<string>();
        await foreach (var e in b.Events.WithCancellation(new CancellationTokenSource(Clients.Timeout).Token))
        {
            taken.Add(((MessageReceived)e).Text);
            if (taken.Count == 2)
            {
                break;
            }
        }

        await b.DisposeAsync(); // writes the last ACK before it closes

        var (again, login) = await Clients.LoginAsync(_node, bobCredentials);
        await using (again)
        {
            Assert.Equal(["#0", "#1"], taken);
            Assert.Equal(1UL, login.Pending);
            await using var events = new EventLog(again);
            await events.WaitForAsync(l => l.Messages.Count == 1, "the unacknowledged item came again");
            Assert.Equal("#2", events.Messages[0].Text);
        }
    }

    [Fact]
    public async Task Items_the_node_sends_again_after_a_reconnect_are_dropped_as_duplicates()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(_node, alice);
        await using var b = await Clients.RegisterAsync(_node, bob);
        for (var i = 0; i < 3; i++)
        {
            await a.SendTextAsync(bob, $"#{i}").WaitAsync(Clients.Timeout);
        }

        // Nobody reads bob's events yet: the three DELIVERs sit unacknowledged in the client's buffer.
        // A new connection makes the node push all three again.
        await Eventually.TrueAsync(() => b.BufferedEvents == 3, "bob's client buffered the three messages");
        b.AbortConnection();
        await Eventually.TrueAsync(() => b.DuplicatesDropped == 3, "bob's client dropped the three DELIVERs pushed again");

        await using var events = new EventLog(b);
        var fence = await a.SendTextAsync(bob, "fence").WaitAsync(Clients.Timeout);
        await events.WaitForAsync(l => l.Messages.Any(m => m.ServerMsgId == fence.ServerMsgId), "the fence message arrived");
        Assert.Equal(["#0", "#1", "#2", "fence"], events.Messages.Select(m => m.Text));
    }

    [Fact]
    public async Task A_send_to_an_unregistered_user_fails_with_not_found_and_the_session_goes_on()
    {
        var (alice, bob, nobody) = (TestPhones.New(), TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(_node, alice);
        await using var b = await Clients.RegisterAsync(_node, bob);

        var error = await Assert.ThrowsAsync<AkkaChatException>(() => a.SendTextAsync(nobody, "anyone?", "nf-1").WaitAsync(Clients.Timeout));

        Assert.Equal((ErrorCode.NotFound, "nf-1"), (error.Code, error.Ref));
        await a.SendTextAsync(bob, "still here").WaitAsync(Clients.Timeout);
        Assert.Equal(0, a.PendingSends);
    }

    [Fact]
    public async Task A_body_over_the_node_limit_fails_with_too_large()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(_node, alice);
        await using var b = await Clients.RegisterAsync(_node, bob);

        var error = await Assert.ThrowsAsync<AkkaChatException>(() => a.SendAsync(bob, MessageKind.Document, new byte[64_001]).WaitAsync(Clients.Timeout));

        Assert.Equal(ErrorCode.TooLarge, error.Code);
    }

    [Fact]
    public async Task Malformed_phone_numbers_are_refused_with_bad_request_without_asking_the_node()
    {
        await using var client = new AkkaChatClient(Clients.For(_node));

        var request = await Assert.ThrowsAsync<AkkaChatException>(() => client.RequestCodeAsync("555-0001"));
        var verify = await Assert.ThrowsAsync<AkkaChatException>(() => client.VerifyAsync("+1", "123456", "test"));

        Assert.Equal(ErrorCode.BadRequest, request.Code);
        Assert.Equal(ErrorCode.BadRequest, verify.Code);
        Assert.Equal(ConnectionState.Disconnected, client.State);
    }

    [Fact]
    public async Task A_wrong_code_fails_verification_with_auth_failed_and_the_right_one_then_works()
    {
        var phone = TestPhones.New();
        await using var client = new AkkaChatClient(Clients.For(_node));
        var sent = await client.RequestCodeAsync(phone).WaitAsync(Clients.Timeout);
        var wrong = sent.DevCode == "000000" ? "111111" : "000000";

        var error = await Assert.ThrowsAsync<AkkaChatException>(() => client.VerifyAsync(phone, wrong, "test").WaitAsync(Clients.Timeout));

        Assert.Equal(ErrorCode.AuthFailed, error.Code);
        var credentials = await client.VerifyAsync(phone, sent.DevCode, "test").WaitAsync(Clients.Timeout); // on a new connection
        Assert.Equal(phone, credentials.Phone);
        Assert.Equal(ConnectionState.Ready, client.State);
    }

    [Fact]
    public async Task Logging_in_with_a_token_the_node_does_not_know_fails_with_auth_failed()
    {
        await using var client = new AkkaChatClient(Clients.For(_node));

        var error = await Assert.ThrowsAsync<AkkaChatException>(() => client.LoginAsync(new Credentials(TestPhones.New(), new byte[32])).WaitAsync(Clients.Timeout));

        Assert.Equal(ErrorCode.AuthFailed, error.Code);
        Assert.Null(client.Credentials);
    }

    [Fact]
    public async Task A_login_elsewhere_ends_the_session_with_replaced_and_the_client_does_not_reconnect()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var first = await Clients.RegisterAsync(_node, alice);
        await using var b = await Clients.RegisterAsync(_node, bob);
        await using var firstEvents = new EventLog(first);
        var states = new List<ConnectionState>();
        first.StateChanged += s =>
        {
            lock (states)
            {
                states.Add(s);
            }
        };

        var (second, _) = await Clients.LoginAsync(_node, first.Credentials!);
        await using (second)
        {
            await Eventually.StateAsync(first, ConnectionState.Terminated);
            await firstEvents.WhenEnded.WaitAsync(Clients.Timeout);

            Assert.Equal(ErrorCode.Replaced, Assert.IsType<AkkaChatException>(firstEvents.Ended).Code);
            var refused = await Assert.ThrowsAsync<AkkaChatException>(() => first.SendTextAsync(bob, "from the old device"));
            Assert.Equal(ErrorCode.Replaced, refused.Code);
            // The new session is not pushed out in turn: it keeps working.
            await second.SendTextAsync(bob, "from the new device").WaitAsync(Clients.Timeout);
            Assert.Equal(ConnectionState.Ready, second.State);
            lock (states)
            {
                Assert.DoesNotContain(ConnectionState.Reconnecting, states);
            }
        }
    }

    [Fact]
    public async Task A_connection_cut_in_the_middle_of_200_sends_loses_nothing_and_duplicates_nothing()
    {
        const int count = 200;
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        // A small in-flight window keeps sends crossing each cut: some written and unanswered,
        // some waiting for room.
        await using var a = await Clients.RegisterAsync(_node, alice, Clients.For(_node) with { MaxPendingSends = 16 });
        await using var b = await Clients.RegisterAsync(_node, bob);
        await using var bobEvents = new EventLog(b);

        var acked = 0;
        var sends = Enumerable.Range(0, count)
            .Select(i => a.SendTextAsync(bob, $"#{i}", $"c-{i}").ContinueWith(t =>
            {
                Interlocked.Increment(ref acked);
                return t;
            }).Unwrap())
            .ToArray();
        await Eventually.TrueAsync(() => Volatile.Read(ref acked) >= 60, "60 sends are acknowledged");
        a.AbortConnection();
        await Eventually.TrueAsync(() => Volatile.Read(ref acked) >= 130, "130 sends are acknowledged");
        a.AbortConnection();
        var acks = await Task.WhenAll(sends).WaitAsync(Clients.Timeout);

        var fence = await a.SendTextAsync(bob, "fence").WaitAsync(Clients.Timeout);
        await bobEvents.WaitForAsync(l => l.Messages.Any(m => m.ServerMsgId == fence.ServerMsgId), "the fence message arrived");
        var received = bobEvents.Messages.SkipLast(1).ToArray();
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"#{i}"), received.Select(m => m.Text));
        Assert.Equal(acks.Select(ack => ack.ServerMsgId), received.Select(m => m.ServerMsgId));
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"c-{i}"), acks.Select(ack => ack.ClientMsgId));
    }
}
