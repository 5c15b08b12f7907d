using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using AkkaChat.Node.Auth;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.UserDirectory;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Tests.Support;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace AkkaChat.Node.Tests.Users;

/// <summary>
/// A UserActor on the node's real journal: Akka.Persistence.Sql over a SQLite file in a temp
/// directory. The actor is created directly, without sharding: replies go to the sender, and the
/// probe standing in for the shard region receives what the actor sends to other users.
/// </summary>
public sealed partial class UserActorTests : Akka.TestKit.Xunit2.TestKit
{
    private const string Me = "+14155550100";
    private const string Alice = "+447700900123";

    /// <summary>Longest wait for a journal round trip; SQLite's first write creates the tables.</summary>
    private static readonly TimeSpan JournalTimeout = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _dataDir;
    private readonly AkkaChatSettings _settings;
    private readonly TestProbe _users;
    private readonly CapturingSmsSender _sms = new();
    private readonly IUserDirectory _directory; // the real table, in the journal's SQLite file

    public UserActorTests(ITestOutputHelper output)
        : this(new TempDirectory(), output)
    {
    }

    private UserActorTests(TempDirectory dataDir, ITestOutputHelper output)
        : this(dataDir, SettingsIn(dataDir), output)
    {
    }

    private UserActorTests(TempDirectory dataDir, AkkaChatSettings settings, ITestOutputHelper output)
        : base(ActorSystemConfig(settings), output: output)
    {
        _dataDir = dataDir;
        _settings = settings;
        _users = CreateTestProbe("users");
        _directory = UserDirectoryModule.Open(settings, DirectorySettings.Create(NodeConfig.Load(null, [])));
    }

    private static AkkaChatSettings SettingsIn(TempDirectory dataDir)
    {
        var settings = TestSettings.Create(
            TestSettings.Quoted("akkachat.storage.data-dir", dataDir.Path),
            "akkachat.delivery.snapshot-after = 5");
        AkkaChatHostingExtensions.PrepareSqlite(settings);
        return settings;
    }

    /// <summary>The node's Akka config (journal, snapshots, serializer), local: no sharding here.</summary>
    private static Config ActorSystemConfig(AkkaChatSettings settings) =>
        ConfigurationFactory.ParseString("akka.actor.provider = local").WithFallback(NodeConfig.AkkaConfig(settings));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            SqliteConnection.ClearAllPools();
            _dataDir.Dispose();
        }
    }

    // ---- registration and login ----

    [Fact]
    public void Registering_with_the_code_sent_by_sms_answers_auth_ok_with_a_32_byte_token()
    {
        var user = StartUser(Me);
        var session = CreateTestProbe();

        user.Tell(new RequestCode { Phone = Me }, session.Ref);
        var sent = session.ExpectMsg<AuthCodeSent>();
        Assert.Equal(600U, sent.ExpiresInS);
        Assert.Equal(string.Empty, sent.DevCode); // reveal-codes is off by default

        user.Tell(new VerifyCode { Phone = Me, Code = _sms.LastCodeFor(Me), DeviceName = "phone" }, session.Ref);
        var ok = session.ExpectMsg<AuthOk>(JournalTimeout);

        Assert.Equal(32, ok.Token.Length);
        Assert.Equal(_settings.NodeName, ok.Node);
        Assert.Equal(0UL, ok.Pending);
    }

    [Fact]
    public void A_user_actor_without_a_code_passivates_after_the_idle_time()
    {
        // The parent stands in for the shard: the actor asks it to passivate.
        ChildActorOf(UserActor.Props(Me, _settings with { PassivateAfter = TimeSpan.FromMilliseconds(300) }, _users.Ref, _sms, _directory, TimeProvider.System));

        ExpectMsg<Akka.Cluster.Sharding.Passivate>(JournalTimeout);
    }

    [Fact]
    public void A_user_actor_passivates_while_its_session_is_idle_and_a_message_after_it_wakes_the_session_which_resumes_and_gets_it()
    {
        var settings = _settings with { PassivateAfter = TimeSpan.FromMilliseconds(300), PassivateLoggedIn = true };
        // The parent stands in for the shard: the actor asks it to passivate.
        var user = ChildActorOf(UserActor.Props(Me, settings, _users.Ref, _sms, _directory, TimeProvider.System));
        var session = CreateTestProbe();
        Register(user, Me, session);

        session.ExpectMsg<SessionPassivated>(JournalTimeout);
        var passivate = ExpectMsg<Akka.Cluster.Sharding.Passivate>(JournalTimeout);
        var watcher = CreateTestProbe();
        watcher.Watch(user);
        user.Tell(passivate.StopMessage);
        watcher.ExpectTerminated(user, JournalTimeout);

        // A message for the user: the shard starts a new incarnation, which wakes the latest login.
        user = StartUser(Me, settings);
        var sender = CreateTestProbe();
        user.Tell(Submit(from: Alice, clientMsgId: "c-1", body: "after idle"), sender.Ref);
        var ack = sender.ExpectMsg<SendAck>(JournalTimeout);
        session.ExpectMsg<WakeSession>(JournalTimeout);
        user.Tell(new ResumeSession { Phone = Me }, session.Ref);
        session.ExpectMsg<SessionResumed>(JournalTimeout);
        var deliver = session.ExpectMsg<Deliver>(JournalTimeout);
        Assert.Equal((ack.ServerMsgId, "after idle"), (deliver.ServerMsgId, deliver.Body.ToStringUtf8()));
    }

    [Fact]
    public void A_user_actor_with_an_unacknowledged_item_stays_resident_while_its_session_is_attached()
    {
        var settings = _settings with { PassivateAfter = TimeSpan.FromMilliseconds(300), PassivateLoggedIn = true };
        var user = ChildActorOf(UserActor.Props(Me, settings, _users.Ref, _sms, _directory, TimeProvider.System));
        var session = CreateTestProbe();
        Register(user, Me, session);
        user.Tell(Submit(from: Alice, clientMsgId: "c-1", body: "unread"), CreateTestProbe().Ref);
        session.ExpectMsg<Deliver>(JournalTimeout);

        session.ExpectNoMsg(TimeSpan.FromMilliseconds(1500)); // five idle periods: never acknowledged, never passivated
        ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void A_user_actor_holding_a_usable_registration_code_does_not_passivate_until_the_code_expires()
    {
        var passivateAfter = TimeSpan.FromMilliseconds(300);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var user = ChildActorOf(UserActor.Props(Me, _settings with { PassivateAfter = passivateAfter }, _users.Ref, _sms, _directory, clock));
        var session = CreateTestProbe();
        user.Tell(new RequestCode { Phone = Me }, session.Ref);
        session.ExpectMsg<AuthCodeSent>(JournalTimeout);

        ExpectNoMsg(passivateAfter * 5); // five idle periods: no Passivate while the code is usable

        clock.Now += _settings.CodeTtl; // the code expired
        ExpectMsg<Akka.Cluster.Sharding.Passivate>(JournalTimeout);
    }

    [Fact]
    public async Task A_registration_is_in_the_user_directory_confirmed_with_its_token_once_auth_ok_is_sent()
    {
        var user = StartUser(Me);

        var token = Register(user, Me, CreateTestProbe());

        var entry = await AwaitEntry(Me, e => e.Confirmed);
        Assert.True(entry.HasToken(DeviceTokens.Hash(token.Span)));
    }

    [Fact]
    public async Task Every_device_token_issued_is_in_the_user_directory_up_to_the_most_kept()
    {
        var user = StartUser(Me);
        var tokens = Enumerable.Range(0, _settings.MaxDeviceTokens + 1).Select(_ => Register(user, Me, CreateTestProbe())).ToList();

        var entry = await AwaitEntry(Me, e => e.TokenHashes.Count == _settings.MaxDeviceTokens);

        Assert.False(entry.HasToken(DeviceTokens.Hash(tokens[0].Span))); // the oldest stopped working
        Assert.All(tokens.Skip(1), t => Assert.True(entry.HasToken(DeviceTokens.Hash(t.Span))));
    }

    [Fact]
    public async Task A_directory_entry_whose_registration_never_reached_the_journal_is_removed_by_its_user_actor()
    {
        await _directory.WriteAsync(new DirectoryEntry(Alice, 1, [DeviceTokens.Hash(new byte[32])], Confirmed: false));
        var user = StartUser(Alice);

        user.Tell(new ConfirmDirectoryEntry { Phone = Alice });

        await AwaitConditionAsync(async () => await _directory.FindAsync(Alice, refresh: true) is null, JournalTimeout);
    }

    [Fact]
    public async Task An_unconfirmed_directory_entry_of_a_registered_user_is_confirmed_by_its_user_actor()
    {
        var user = StartUser(Me);
        var token = Register(user, Me, CreateTestProbe());
        await AwaitEntry(Me, e => e.Confirmed);
        await _directory.RemoveAsync(Me);
        await _directory.WriteAsync(new DirectoryEntry(Me, 1, [DeviceTokens.Hash(token.Span)], Confirmed: false));

        user.Tell(new ConfirmDirectoryEntry { Phone = Me });

        await AwaitEntry(Me, e => e.Confirmed);
    }

    private async Task<DirectoryEntry> AwaitEntry(string phone, Func<DirectoryEntry, bool> condition)
    {
        DirectoryEntry? entry = null;
        await AwaitConditionAsync(async () => (entry = await _directory.FindAsync(phone, refresh: true)) is { } e && condition(e), JournalTimeout);
        return entry!;
    }

    [Fact]
    public void A_wrong_registration_code_is_refused_as_auth_failed()
    {
        var user = StartUser(Me);
        var session = CreateTestProbe();
        user.Tell(new RequestCode { Phone = Me }, session.Ref);
        session.ExpectMsg<AuthCodeSent>();
        var code = _sms.LastCodeFor(Me);
        var wrong = (char)('0' + (code[0] - '0' + 1) % 10) + code[1..];

        user.Tell(new VerifyCode { Phone = Me, Code = wrong, DeviceName = "phone" }, session.Ref);

        Assert.Equal(ErrorCode.AuthFailed, session.ExpectMsg<Error>().ErrorCode);
    }

    [Fact]
    public void Login_with_the_issued_token_succeeds_and_with_another_token_fails()
    {
        var user = StartUser(Me);
        var token = Register(user, Me, CreateTestProbe());

        var device = CreateTestProbe();
        user.Tell(new Login { Phone = Me, Token = token }, device.Ref);
        var ok = device.ExpectMsg<AuthOk>(JournalTimeout);
        Assert.True(ok.Token.IsEmpty);

        var intruder = CreateTestProbe();
        user.Tell(new Login { Phone = Me, Token = ByteString.CopyFrom(new byte[32]) }, intruder.Ref);
        Assert.Equal(ErrorCode.AuthFailed, intruder.ExpectMsg<Error>().ErrorCode);
    }

    [Fact]
    public void Login_to_an_unregistered_user_fails()
    {
        var user = StartUser(Me);
        var device = CreateTestProbe();

        user.Tell(new Login { Phone = Me, Token = ByteString.CopyFrom(new byte[32]) }, device.Ref);

        Assert.Equal(ErrorCode.AuthFailed, device.ExpectMsg<Error>().ErrorCode);
    }

    [Fact]
    public void A_new_login_replaces_the_previous_session()
    {
        var user = StartUser(Me);
        var first = CreateTestProbe();
        var token = Register(user, Me, first);

        var second = CreateTestProbe();
        user.Tell(new Login { Phone = Me, Token = token }, second.Ref);
        second.ExpectMsg<AuthOk>(JournalTimeout);

        Assert.Equal(Me, first.ExpectMsg<SessionReplaced>().Phone);
    }

    // ---- the queue ----

    [Fact]
    public void A_message_to_an_unregistered_user_is_refused_as_not_found()
    {
        var user = StartUser(Me);
        var sender = CreateTestProbe();

        user.Tell(Submit(from: Alice, clientMsgId: "c-1", body: "hello"), sender.Ref);

        var error = sender.ExpectMsg<Error>();
        Assert.Equal(ErrorCode.NotFound, error.ErrorCode);
        Assert.Equal("c-1", error.Ref);
    }

    [Fact]
    public void A_message_is_acknowledged_to_its_sender_and_pushed_to_the_session()
    {
        var user = StartUser(Me);
        var session = CreateTestProbe();
        Register(user, Me, session);
        var sender = CreateTestProbe();

        user.Tell(Submit(from: Alice, clientMsgId: "c-1", body: "hello"), sender.Ref);

        var ack = sender.ExpectMsg<SendAck>(JournalTimeout);
        var deliver = session.ExpectMsg<Deliver>();
        Assert.Equal("c-1", ack.ClientMsgId);
        Assert.Equal((1UL, ack.ServerMsgId, Alice, "hello"), (deliver.Seq, deliver.ServerMsgId, deliver.From, deliver.Body.ToStringUtf8()));
    }

    [Fact]
    public void A_session_resuming_on_a_new_incarnation_gets_its_unacknowledged_items_again()
    {
        var user = StartUser(Me);
        var session = CreateTestProbe();
        session.IgnoreMessages<WakeSession>(); // a connection whose session is not passivated ignores it
        Register(user, Me, session);
        var sender = CreateTestProbe();
        user.Tell(Submit(from: Alice, clientMsgId: "c-1", body: "one"), sender.Ref);
        var first = session.ExpectMsg<Deliver>(JournalTimeout);
        StopUser(user); // as when its shard moves to another node

        user = StartUser(Me);
        user.Tell(new ResumeSession { Phone = Me }, session.Ref);

        session.ExpectMsg<SessionResumed>(JournalTimeout);
        var again = session.ExpectMsg<Deliver>();
        Assert.Equal((first.Seq, first.ServerMsgId), (again.Seq, again.ServerMsgId));
        user.Tell(Submit(from: Alice, clientMsgId: "c-2", body: "two"), sender.Ref);
        Assert.Equal(2UL, session.ExpectMsg<Deliver>(JournalTimeout).Seq); // live items follow
    }

    [Fact]
    public void After_the_user_actor_moves_the_later_login_wins_the_resume_race_whatever_the_login_times_say()
    {
        var user = StartUser(Me);
        var token = Register(user, Me, CreateTestProbe());
        var older = CreateTestProbe();
        older.IgnoreMessages<WakeSession>(); // a connection whose session is not passivated ignores it
        user.Tell(new Login { Phone = Me, Token = token }, older.Ref);
        var olderLogin = older.ExpectMsg<AuthOk>(JournalTimeout).ServerTimeMs;
        var newer = CreateTestProbe();
        newer.IgnoreMessages<WakeSession>(); // a connection whose session is not passivated ignores it
        user.Tell(new Login { Phone = Me, Token = token }, newer.Ref);
        var newerLogin = newer.ExpectMsg<AuthOk>(JournalTimeout).ServerTimeMs;
        StopUser(user); // its shard moves; both connections will resume (older missed its REPLACED)

        user = StartUser(Me);
        // The replaced connection resumes first, claiming a later login time than the newer one's,
        // as a node whose clock runs ahead would have stamped it.
        user.Tell(new ResumeSession { Phone = Me, LoggedInAtMs = newerLogin + 60_000 }, older.Ref);
        older.FishForMessage<SessionReplaced>(m => m is SessionReplaced, JournalTimeout);
        user.Tell(new ResumeSession { Phone = Me, LoggedInAtMs = olderLogin - 60_000 }, newer.Ref);

        newer.ExpectMsg<SessionResumed>(JournalTimeout);
    }

    [Fact]
    public void After_recovery_from_a_snapshot_only_the_connection_of_the_latest_login_may_resume()
    {
        var settings = _settings with { SnapshotAfter = 1 };
        var user = StartUser(Me, settings);
        var token = Register(user, Me, CreateTestProbe());
        var latest = CreateTestProbe();
        latest.IgnoreMessages<WakeSession>(); // a connection whose session is not passivated ignores it
        user.Tell(new Login { Phone = Me, Token = token }, latest.Ref);
        latest.ExpectMsg<AuthOk>(JournalTimeout);
        StopUser(user);

        user = StartUser(Me, settings);
        var stale = CreateTestProbe(); // a connection that never was the latest login
        user.Tell(new ResumeSession { Phone = Me, LoggedInAtMs = long.MaxValue }, stale.Ref);
        stale.ExpectMsg<SessionReplaced>(JournalTimeout);
        user.Tell(new ResumeSession { Phone = Me }, latest.Ref);
        latest.ExpectMsg<SessionResumed>(JournalTimeout);
    }

    [Fact]
    public void A_stale_session_cannot_resume_over_a_newer_login()
    {
        var user = StartUser(Me);
        var token = Register(user, Me, CreateTestProbe());
        var newer = CreateTestProbe();
        user.Tell(new Login { Phone = Me, Token = token }, newer.Ref);
        newer.ExpectMsg<AuthOk>(JournalTimeout);

        var stale = CreateTestProbe();
        user.Tell(new ResumeSession { Phone = Me }, stale.Ref);

        stale.ExpectMsg<SessionReplaced>();
        newer.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Items_older_than_the_retention_age_are_dropped_at_the_next_start_and_counted_in_the_node_metrics()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var user = StartUser(Me, clock: clock);
        var token = Register(user, Me, CreateTestProbe());
        StopUser(user);
        user = StartUser(Me, clock: clock);
        var sender = CreateTestProbe();
        user.Tell(Submit(from: Alice, clientMsgId: "old", body: "m"), sender.Ref);
        sender.ExpectMsg<SendAck>(JournalTimeout);
        StopUser(user);

        long expired = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AkkaChat.Node.Diagnostics.NodeMetrics.MeterName && instrument.Name == "akkachat.items.expired")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref expired, value));
        listener.Start();

        clock.Now += _settings.RetentionMaxAge + TimeSpan.FromMinutes(1);
        user = StartUser(Me, clock: clock);
        var device = CreateTestProbe();
        user.Tell(new Login { Phone = Me, Token = token }, device.Ref);

        AwaitCondition(() => Interlocked.Read(ref expired) == 1, JournalTimeout);
        Assert.Equal(0UL, device.ExpectMsg<AuthOk>(JournalTimeout).Pending);
        device.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void An_item_past_the_retention_age_is_dropped_at_the_next_login_while_the_actor_stays_resident_and_younger_items_stay()
    {
        // One incarnation throughout: nothing recovers from the journal between queueing and login.
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var user = StartUser(Me, clock: clock);
        var firstSession = CreateTestProbe();
        var token = Register(user, Me, firstSession);
        var sender = CreateTestProbe();
        user.Tell(Submit(from: Alice, clientMsgId: "old", body: "old"), sender.Ref);
        sender.ExpectMsg<SendAck>(JournalTimeout);
        clock.Now += _settings.RetentionMaxAge - TimeSpan.FromMinutes(1);
        user.Tell(Submit(from: Alice, clientMsgId: "young", body: "young"), sender.Ref);
        sender.ExpectMsg<SendAck>(JournalTimeout);
        // The attached session got both and acknowledges neither.
        Assert.Equal("old", firstSession.FishForMessage<Deliver>(_ => true, JournalTimeout).Body.ToStringUtf8());
        Assert.Equal("young", firstSession.FishForMessage<Deliver>(_ => true, JournalTimeout).Body.ToStringUtf8());

        using var expired = new ExpiredItemsCounter();
        clock.Now += TimeSpan.FromMinutes(2); // "old" is past max-age by a minute, "young" is 2 minutes old
        var device = CreateTestProbe();
        user.Tell(new Login { Phone = Me, Token = token }, device.Ref);

        Assert.Equal(1UL, device.ExpectMsg<AuthOk>(JournalTimeout).Pending);
        var deliver = device.ExpectMsg<Deliver>(JournalTimeout);
        Assert.Equal(("young", 2UL), (deliver.Body.ToStringUtf8(), deliver.Seq));
        device.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        AwaitCondition(() => expired.Count == 1, JournalTimeout);
        AwaitCondition(() => CountEvents("user-" + Me, "e-ie") == 1, JournalTimeout);

        // Journaled: after a restart the dropped item stays dropped and the younger one stays queued.
        StopUser(user);
        user = StartUser(Me, clock: clock);
        var later = CreateTestProbe();
        user.Tell(new Login { Phone = Me, Token = token }, later.Ref);
        Assert.Equal(1UL, later.ExpectMsg<AuthOk>(JournalTimeout).Pending);
        Assert.Equal(2UL, later.ExpectMsg<Deliver>(JournalTimeout).Seq);
    }

    [Fact]
    public void An_item_never_acknowledged_by_an_attached_session_is_dropped_by_the_expiry_timer_at_the_retention_age()
    {
        // Long enough that the item is pushed before it expires, even when the journal is slow.
        var settings = _settings with { RetentionMaxAge = TimeSpan.FromSeconds(3) };
        var user = StartUser(Me, settings);
        var session = CreateTestProbe();
        var token = Register(user, Me, session);
        using var expired = new ExpiredItemsCounter();
        var sender = CreateTestProbe();
        user.Tell(Submit(from: Alice, clientMsgId: "c-1", body: "never acknowledged"), sender.Ref);
        sender.ExpectMsg<SendAck>(JournalTimeout);
        Assert.Equal(1UL, session.FishForMessage<Deliver>(_ => true, JournalTimeout).Seq);

        // Nothing is sent to the actor: only its timer can drop the item while the session stays attached.
        AwaitCondition(() => CountEvents("user-" + Me, "e-ie") == 1, JournalTimeout);
        AwaitCondition(() => expired.Count == 1, JournalTimeout);

        var device = CreateTestProbe();
        user.Tell(new Login { Phone = Me, Token = token }, device.Ref);
        Assert.Equal(0UL, device.ExpectMsg<AuthOk>(JournalTimeout).Pending);
        device.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void Queued_items_survive_a_restart_and_are_pushed_after_login_in_seq_order()
    {
        var user = StartUser(Me);
        var token = Register(user, Me, CreateTestProbe());
        StopUser(user);

        user = StartUser(Me);
        var sender = CreateTestProbe();
        var acks = new List<SendAck>();
        for (var i = 1; i <= 3; i++)
        {
            user.Tell(Submit(from: Alice, clientMsgId: $"c-{i}", body: $"message {i}"), sender.Ref);
            acks.Add(sender.ExpectMsg<SendAck>(JournalTimeout));
        }

        StopUser(user);
        user = StartUser(Me);
        var session = CreateTestProbe();
        user.Tell(new Login { Phone = Me, Token = token }, session.Ref);

        Assert.Equal(3UL, session.ExpectMsg<AuthOk>(JournalTimeout).Pending);
        for (var i = 1; i <= 3; i++)
        {
            var deliver = session.ExpectMsg<Deliver>();
            Assert.Equal((ulong)i, deliver.Seq);
            Assert.Equal(acks[i - 1].ServerMsgId, deliver.ServerMsgId);
            Assert.Equal($"message {i}", deliver.Body.ToStringUtf8());
        }

        // The idempotency keys were recovered too: a resent SEND gets its first SEND_ACK.
        user.Tell(Submit(from: Alice, clientMsgId: "c-2", body: "message 2"), sender.Ref);
        Assert.Equal(acks[1].ServerMsgId, sender.ExpectMsg<SendAck>().ServerMsgId);
        session.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Acknowledged_items_leave_the_journal_once_a_snapshot_is_taken()
    {
        // Events: 1 registered, 2 token, 3 login, 4 and 5 queued, 6 acknowledged (up to seq 1).
        // snapshot-after = 6, so the ACK's event takes a snapshot and deletes the journal behind it.
        var persistenceId = "user-" + Me;
        var settings = _settings with { SnapshotAfter = 6 };
        var user = StartUser(Me, settings);
        var session = CreateTestProbe();
        var token = Register(user, Me, session);
        var sender = CreateTestProbe();
        user.Tell(Submit(from: Alice, clientMsgId: "c-1", body: "first"), sender.Ref);
        user.Tell(Submit(from: Alice, clientMsgId: "c-2", body: "second"), sender.Ref);
        sender.ExpectMsg<SendAck>(JournalTimeout);
        sender.ExpectMsg<SendAck>(JournalTimeout);
        Assert.Equal(1UL, session.ExpectMsg<Deliver>().Seq);
        Assert.Equal(2UL, session.ExpectMsg<Deliver>().Seq);
        Assert.Equal(5, CountJournalRows(persistenceId, upToSequenceNr: 6, deleted: false));

        user.Tell(new AcknowledgeItems { Phone = Me, UpToSeq = 1 }, session.Ref);

        AwaitAssert(() => Assert.Equal(6L, HighestSnapshotSequenceNr(persistenceId)), JournalTimeout);
        AwaitAssert(() => Assert.Equal(0, CountJournalRows(persistenceId, upToSequenceNr: 6, deleted: false)), JournalTimeout);
        Assert.True(CountJournalRows(persistenceId, upToSequenceNr: 6, deleted: true) <= 1, "deleted rows are kept only to remember the highest sequence number");

        StopUser(user);
        user = StartUser(Me, settings);
        var next = CreateTestProbe();
        user.Tell(new Login { Phone = Me, Token = token }, next.Ref);

        Assert.Equal(1UL, next.ExpectMsg<AuthOk>(JournalTimeout).Pending);
        var deliver = next.ExpectMsg<Deliver>();
        Assert.Equal((2UL, "second"), (deliver.Seq, deliver.Body.ToStringUtf8()));
        next.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Acknowledging_a_deliver_stores_a_delivered_receipt_with_its_sender()
    {
        var user = StartUser(Me);
        var session = CreateTestProbe();
        Register(user, Me, session);
        var sender = CreateTestProbe();
        user.Tell(Submit(from: Alice, clientMsgId: "alice-7", body: "hello"), sender.Ref);
        var serverMsgId = sender.ExpectMsg<SendAck>(JournalTimeout).ServerMsgId;
        session.ExpectMsg<Deliver>();

        user.Tell(new AcknowledgeItems { Phone = Me, UpToSeq = 1 }, session.Ref);

        var store = _users.ExpectMsg<StoreReceipt>(JournalTimeout);
        Assert.Equal(Alice, store.Phone);
        Assert.Equal(Me, store.By);
        Assert.Equal(serverMsgId, store.ServerMsgId);
        Assert.Equal("alice-7", store.ClientMsgId);
        Assert.Equal((uint)ReceiptStatus.Delivered, store.Status);
    }

    [Fact]
    public void An_ack_that_arrives_after_its_connection_closed_still_acknowledges_what_it_received()
    {
        var user = StartUser(Me);
        var session = CreateTestProbe();
        Register(user, Me, session);
        var sender = CreateTestProbe();
        user.Tell(Submit(from: Alice, clientMsgId: "c-1", body: "m"), sender.Ref);
        sender.ExpectMsg<SendAck>(JournalTimeout);
        session.ExpectMsg<Deliver>();

        // The connection's Terminated overtakes the ACK it sent just before closing.
        Watch(session.Ref);
        Sys.Stop(session.Ref);
        ExpectTerminated(session.Ref);
        user.Tell(new AcknowledgeItems { Phone = Me, UpToSeq = 1 }, session.Ref);

        Assert.Equal("c-1", _users.ExpectMsg<StoreReceipt>(JournalTimeout).ClientMsgId);
    }

    [Fact]
    public void An_ack_before_anything_was_pushed_acknowledges_nothing()
    {
        var user = StartUser(Me);
        Register(user, Me, CreateTestProbe());
        StopUser(user);
        user = StartUser(Me); // the queue is stored, but this incarnation has pushed nothing
        var sender = CreateTestProbe();
        user.Tell(Submit(from: Alice, clientMsgId: "c-1", body: "m"), sender.Ref);
        sender.ExpectMsg<SendAck>(JournalTimeout);

        user.Tell(new AcknowledgeItems { Phone = Me, UpToSeq = 1 }, CreateTestProbe().Ref);

        // An accepted ACK sends its receipt before the actor handles the next command.
        user.Tell(Submit(from: Alice, clientMsgId: "c-2", body: "m"), sender.Ref);
        sender.ExpectMsg<SendAck>(JournalTimeout);
        Assert.False(_users.HasMessages, "an ACK of items never pushed produced a receipt");
    }

    [Fact]
    public void An_ack_covers_only_items_already_pushed_to_the_session()
    {
        var user = StartUser(Me, _settings with { DeliveryWindow = 1 });
        var session = CreateTestProbe();
        Register(user, Me, session);
        var sender = CreateTestProbe();
        user.Tell(Submit(from: Alice, clientMsgId: "c-1", body: "m"), sender.Ref);
        user.Tell(Submit(from: Alice, clientMsgId: "c-2", body: "m"), sender.Ref);
        sender.ExpectMsg<SendAck>(JournalTimeout);
        sender.ExpectMsg<SendAck>(JournalTimeout);
        Assert.Equal(1UL, session.ExpectMsg<Deliver>().Seq); // the window holds one item

        user.Tell(new AcknowledgeItems { Phone = Me, UpToSeq = 2 }, session.Ref);

        Assert.Equal("c-1", _users.ExpectMsg<StoreReceipt>(JournalTimeout).ClientMsgId);
        Assert.Equal(2UL, session.ExpectMsg<Deliver>().Seq); // pushed after the ACK's receipts were sent
        Assert.False(_users.HasMessages, "seq 2 was acknowledged before it was pushed");
    }

    [Fact]
    public void A_session_is_pushed_at_most_one_window_past_what_its_socket_took_and_more_as_it_reports_items_written()
    {
        var user = StartUser(Me, _settings with { DeliveryWindow = 2 });
        var session = CreateTestProbe();
        Register(user, Me, session);
        var sender = CreateTestProbe();
        for (var i = 1; i <= 5; i++)
        {
            user.Tell(Submit(from: Alice, clientMsgId: $"c-{i}", body: "m"), sender.Ref);
            sender.ExpectMsg<SendAck>(JournalTimeout); // each push happens before its SEND_ACK is sent
        }

        Assert.Equal(1UL, session.ExpectMsg<Deliver>().Seq);
        Assert.Equal(2UL, session.ExpectMsg<Deliver>().Seq);
        Assert.False(session.HasMessages, "more than one window was pushed before the socket took any");

        // No ACK: the socket took the first two, so two more are pushed.
        user.Tell(new ItemsWritten { Phone = Me, UpToSeq = 2 }, session.Ref);
        Assert.Equal(3UL, session.ExpectMsg<Deliver>().Seq);
        Assert.Equal(4UL, session.ExpectMsg<Deliver>().Seq);

        // A report from a connection that is not the session paces nothing.
        user.Tell(new ItemsWritten { Phone = Me, UpToSeq = 4 }, CreateTestProbe().Ref);
        user.Tell(Submit(from: Alice, clientMsgId: "c-6", body: "m"), sender.Ref);
        sender.ExpectMsg<SendAck>(JournalTimeout);
        Assert.False(session.HasMessages, "a report from another connection moved the window");

        user.Tell(new ItemsWritten { Phone = Me, UpToSeq = 4 }, session.Ref);
        Assert.Equal(5UL, session.ExpectMsg<Deliver>().Seq);
        Assert.Equal(6UL, session.ExpectMsg<Deliver>().Seq);
    }

    [Fact]
    public void An_unconfirmed_receipt_is_resent_after_recovery_and_a_confirmed_one_is_not()
    {
        var settings = _settings with { ReceiptConfirmationDelay = TimeSpan.Zero }; // journaled at once
        var user = StartUser(Me, settings);
        var session = CreateTestProbe();
        var token = Register(user, Me, session);
        var sender = CreateTestProbe();
        user.Tell(Submit(from: Alice, clientMsgId: "c-1", body: "m"), sender.Ref);
        sender.ExpectMsg<SendAck>(JournalTimeout);
        session.ExpectMsg<Deliver>();
        user.Tell(new AcknowledgeItems { Phone = Me, UpToSeq = 1 }, session.Ref);
        var first = _users.ExpectMsg<StoreReceipt>(JournalTimeout);

        StopUser(user);
        user = StartUser(Me, settings);
        var again = _users.ExpectMsg<StoreReceipt>(JournalTimeout);
        Assert.Equal(first, again);

        user.Tell(new ReceiptStored { Phone = Me, OutboxId = again.OutboxId }, _users.Ref);
        // The confirmation is journaled before the next command is handled; a login round trip
        // shows the actor got past it.
        LoginAndExpectOk(user, token);
        StopUser(user);

        user = StartUser(Me, settings);
        LoginAndExpectOk(user, token); // recovery is over: a resend would already be at the probe
        Assert.False(_users.HasMessages, "a confirmed receipt was sent again");
    }

    [Fact]
    public void Receipt_confirmations_are_journaled_together_as_one_event_after_the_delay()
    {
        var settings = _settings with { ReceiptConfirmationDelay = TimeSpan.FromMilliseconds(300) };
        var user = StartUser(Me, settings);
        var session = CreateTestProbe();
        var token = Register(user, Me, session);
        var sender = CreateTestProbe();
        user.Tell(Submit(from: Alice, clientMsgId: "c-1", body: "m"), sender.Ref);
        user.Tell(Submit(from: Alice, clientMsgId: "c-2", body: "m"), sender.Ref);
        sender.ExpectMsg<SendAck>(JournalTimeout);
        sender.ExpectMsg<SendAck>(JournalTimeout);
        session.ExpectMsg<Deliver>();
        session.ExpectMsg<Deliver>();
        user.Tell(new AcknowledgeItems { Phone = Me, UpToSeq = 2 }, session.Ref);
        var receipts = new[] { _users.ExpectMsg<StoreReceipt>(JournalTimeout), _users.ExpectMsg<StoreReceipt>(JournalTimeout) };

        foreach (var receipt in receipts)
        {
            user.Tell(new ReceiptStored { Phone = Me, OutboxId = receipt.OutboxId }, _users.Ref);
        }

        AwaitCondition(() => CountEvents("user-" + Me, "e-rc") >= 1, JournalTimeout);
        StopUser(user);
        Assert.Equal(1, CountEvents("user-" + Me, "e-rc")); // both confirmations in one event
        user = StartUser(Me, settings);
        LoginAndExpectOk(user, token); // recovery is over: a resend would already be at the probe
        Assert.False(_users.HasMessages, "a confirmed receipt was sent again");
    }

    [Fact]
    [Trait("Category", "Slow")] // waits for the outbox's 5 s resend timer
    public void An_unconfirmed_receipt_is_resent_while_the_user_stays_up_until_confirmed()
    {
        var settings = _settings with { ReceiptConfirmationDelay = TimeSpan.Zero }; // journaled at once
        var user = StartUser(Me, settings);
        var session = CreateTestProbe();
        var token = Register(user, Me, session);
        var sender = CreateTestProbe();
        user.Tell(Submit(from: Alice, clientMsgId: "c-1", body: "m"), sender.Ref);
        sender.ExpectMsg<SendAck>(JournalTimeout);
        session.ExpectMsg<Deliver>();
        user.Tell(new AcknowledgeItems { Phone = Me, UpToSeq = 1 }, session.Ref);
        var first = _users.ExpectMsg<StoreReceipt>(JournalTimeout);

        var resent = _users.ExpectMsg<StoreReceipt>(TimeSpan.FromSeconds(8));

        Assert.Equal(first, resent);
        user.Tell(new ReceiptStored { Phone = Me, OutboxId = resent.OutboxId }, _users.Ref);
        LoginAndExpectOk(user, token);
        StopUser(user);
        LoginAndExpectOk(StartUser(Me, settings), token);
        Assert.False(_users.HasMessages, "a confirmed receipt was sent again");
    }

    [Fact]
    public void A_receipt_stored_for_a_user_is_confirmed_and_pushed_once()
    {
        var user = StartUser(Me);
        var session = CreateTestProbe();
        Register(user, Me, session);
        var store = new StoreReceipt
        {
            Phone = Me, OutboxId = 4, ServerMsgId = "srv-1", ClientMsgId = "c-1",
            Status = (uint)ReceiptStatus.Delivered, By = Alice, AtMs = 123,
        };

        user.Tell(store, _users.Ref);
        user.Tell(store, _users.Ref); // at-least-once: the reader's outbox sent it twice

        Assert.Equal(new ReceiptStored { Phone = Alice, OutboxId = 4 }, _users.ExpectMsg<ReceiptStored>(JournalTimeout));
        Assert.Equal(new ReceiptStored { Phone = Alice, OutboxId = 4 }, _users.ExpectMsg<ReceiptStored>(JournalTimeout));
        var receipt = session.ExpectMsg<Receipt>();
        Assert.Equal((1UL, "srv-1", "c-1", Alice, 123L), (receipt.Seq, receipt.ServerMsgId, receipt.ClientMsgId, receipt.By, receipt.AtMs));
        Assert.False(session.HasMessages, "the duplicate receipt was pushed");
    }

    [Fact]
    public void Reading_a_message_stores_a_read_receipt_with_its_sender()
    {
        var user = StartUser(Me);
        var session = CreateTestProbe();
        Register(user, Me, session);
        var sender = CreateTestProbe();
        user.Tell(Submit(from: Alice, clientMsgId: "c-1", body: "m"), sender.Ref);
        var serverMsgId = sender.ExpectMsg<SendAck>(JournalTimeout).ServerMsgId;

        user.Tell(new MarkRead { Phone = Me, From = Alice, ServerMsgIds = { serverMsgId, "unknown" } }, session.Ref);

        var store = _users.ExpectMsg<StoreReceipt>(JournalTimeout);
        Assert.Equal((Alice, serverMsgId, "c-1", (uint)ReceiptStatus.Read), (store.Phone, store.ServerMsgId, store.ClientMsgId, store.Status));
    }

    [Fact]
    public void A_read_of_a_message_older_than_the_dedup_window_is_answered_not_found_with_its_id_and_sends_no_receipt()
    {
        var user = StartUser(Me, _settings with { DedupWindow = 2 });
        var session = CreateTestProbe();
        Register(user, Me, session);
        var sender = CreateTestProbe();
        var ids = new List<string>();
        for (var i = 1; i <= 3; i++)
        {
            user.Tell(Submit(from: Alice, clientMsgId: $"c-{i}", body: "m"), sender.Ref);
            ids.Add(sender.ExpectMsg<SendAck>(JournalTimeout).ServerMsgId);
        }

        // The window holds the last two: the first is forgotten.
        user.Tell(new MarkRead { Phone = Me, From = Alice, ServerMsgIds = { ids[0], ids[2] } }, session.Ref);

        var error = session.FishForMessage<Error>(m => m is Error, JournalTimeout);
        Assert.Equal((ErrorCode.NotFound, ids[0]), (error.ErrorCode, error.Ref));
        var store = _users.ExpectMsg<StoreReceipt>(JournalTimeout);
        Assert.Equal((ids[2], (uint)ReceiptStatus.Read), (store.ServerMsgId, store.Status));
        Assert.False(_users.HasMessages, "a receipt was sent for the forgotten message");
        Assert.False(session.HasMessages, "more than one ERROR for one forgotten id");
    }

    [Fact]
    public void The_nodes_queued_items_gauge_follows_each_user_actors_queue_without_asking_it()
    {
        var gauges = AkkaChat.Node.Diagnostics.NodeMetrics.Get(Sys).Gauges;
        var user = StartUser(Me);
        var session = CreateTestProbe();
        Register(user, Me, session);
        var sender = CreateTestProbe();
        for (var i = 0; i < 3; i++)
        {
            user.Tell(Submit(from: Alice, clientMsgId: $"q-{i}", body: "m"), sender.Ref);
            sender.ExpectMsg<SendAck>(JournalTimeout);
        }

        AwaitAssert(() => Assert.Equal(3L, Interlocked.Read(ref gauges.QueuedItems)), JournalTimeout);
        user.Tell(new AcknowledgeItems { Phone = Me, UpToSeq = 2 }, session.Ref);
        AwaitAssert(() => Assert.Equal(1L, Interlocked.Read(ref gauges.QueuedItems)), JournalTimeout);

        StopUser(user); // its share leaves with it
        Assert.Equal(0L, Interlocked.Read(ref gauges.QueuedItems));
        StartUser(Me); // and comes back with its recovered queue
        AwaitAssert(() => Assert.Equal(1L, Interlocked.Read(ref gauges.QueuedItems)), JournalTimeout);
    }

    // ---- helpers ----

    private IActorRef StartUser(string phone, AkkaChatSettings? settings = null, TimeProvider? clock = null) =>
        Sys.ActorOf(UserActor.Props(phone, settings ?? _settings, _users.Ref, _sms, _directory, clock ?? TimeProvider.System));

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>Counts what the node adds to the akkachat.items.expired metric while it is alive.</summary>
    private sealed class ExpiredItemsCounter : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private long _count;

        public ExpiredItemsCounter()
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == AkkaChat.Node.Diagnostics.NodeMetrics.MeterName && instrument.Name == "akkachat.items.expired")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _count, value));
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }

    private void StopUser(IActorRef user)
    {
        var watcher = CreateTestProbe();
        watcher.Watch(user);
        Sys.Stop(user);
        watcher.ExpectTerminated(user, JournalTimeout);
    }

    /// <summary>Registers through the code flow; <paramref name="session"/> becomes the user's session.</summary>
    private ByteString Register(IActorRef user, string phone, TestProbe session)
    {
        user.Tell(new RequestCode { Phone = phone }, session.Ref);
        session.ExpectMsg<AuthCodeSent>(JournalTimeout);
        user.Tell(new VerifyCode { Phone = phone, Code = _sms.LastCodeFor(phone), DeviceName = "test" }, session.Ref);
        return session.ExpectMsg<AuthOk>(JournalTimeout).Token;
    }

    private void LoginAndExpectOk(IActorRef user, ByteString token)
    {
        var device = CreateTestProbe();
        user.Tell(new Login { Phone = Me, Token = token }, device.Ref);
        device.ExpectMsg<AuthOk>(JournalTimeout);
    }

    private static SubmitMessage Submit(string from, string clientMsgId, string body) => new()
    {
        Phone = Me,
        From = from,
        ClientMsgId = clientMsgId,
        Kind = (uint)MessageKind.Text,
        Body = ByteString.CopyFromUtf8(body),
    };

    // ---- the SQLite file, read directly ----

    private int CountJournalRows(string persistenceId, long upToSequenceNr, bool deleted) =>
        Convert.ToInt32(Query(
            "SELECT COUNT(*) FROM journal WHERE persistence_id = $id AND sequence_number <= $upTo AND deleted = $deleted",
            ("$id", persistenceId), ("$upTo", upToSequenceNr), ("$deleted", deleted)));

    private int CountEvents(string persistenceId, string manifest) =>
        Convert.ToInt32(Query(
            "SELECT COUNT(*) FROM journal WHERE persistence_id = $id AND manifest = $manifest",
            ("$id", persistenceId), ("$manifest", manifest)));

    private long HighestSnapshotSequenceNr(string persistenceId) =>
        Query("SELECT MAX(sequence_number) FROM snapshot WHERE persistence_id = $id", ("$id", persistenceId)) is long n ? n : 0;

    private object? Query(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = new SqliteConnection($"Data Source={NodeConfig.SqliteFile(_settings)};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command.ExecuteScalar();
    }
}
