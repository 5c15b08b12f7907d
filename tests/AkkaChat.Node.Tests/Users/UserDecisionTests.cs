using Akka.Actor;
using AkkaChat.Node.Auth;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Inbox;
using AkkaChat.Node.Registration;
using AkkaChat.Node.Sessions;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Node.Tests.Users;

/// <summary>
/// The user entity's parts decide without an actor: a command goes in, the events to journal and
/// the effects to run come out, and applying the events gives the state the effects speak of.
/// </summary>
public sealed class UserDecisionTests
{
    private const string Me = "+14155550100";
    private const string Alice = "+447700900123";
    private const string Bob = "+4915112345678";

    private readonly UserState _state = new(Me, dedupCapacity: 64);

    // ---- inbox ----

    [Fact]
    public void A_send_to_an_unregistered_user_is_refused_at_once_with_NOT_FOUND_and_journals_nothing()
    {
        var decision = _state.Decide(Send(Alice, "a-1"), "srv-1", nowMs: 1_000);

        Assert.Empty(decision.Events);
        var refusal = Assert.IsType<Error>(Assert.IsType<ReplyNow>(Assert.Single(decision.Effects)).Answer);
        Assert.Equal(ErrorCode.NotFound, (ErrorCode)refusal.Code);
        Assert.Equal("a-1", refusal.Ref);
    }

    [Fact]
    public void A_send_is_queued_and_answered_with_its_SEND_ACK_and_a_push_once_durable_or_an_error_if_not_stored()
    {
        Register();

        var decision = _state.Decide(Send(Alice, "a-1"), "srv-1", nowMs: 1_000);

        var queued = Assert.IsType<MessageQueued>(Assert.Single(decision.Events));
        Assert.Equal(1UL, queued.Item.Seq);
        Assert.Equal("srv-1", queued.Item.Deliver.ServerMsgId);
        Assert.Collection(
            decision.Effects,
            e => Assert.Equal(new SendAck { ClientMsgId = "a-1", ServerMsgId = "srv-1", ServerTimeMs = 1_000 }, Assert.IsType<Reply>(e).Answer),
            e => Assert.IsType<PushItems>(e),
            e => Assert.Equal(new ReplyIfNotStored("the message was not stored; send it again", "a-1"), e));
    }

    [Fact]
    public void A_duplicate_send_journals_nothing_and_gets_the_first_acceptance_after_the_writes_in_flight()
    {
        Register();
        Apply(_state.Decide(Send(Alice, "a-1"), "srv-1", nowMs: 1_000));

        var decision = _state.Decide(Send(Alice, "a-1"), "srv-2", nowMs: 2_000);

        Assert.Empty(decision.Events);
        var answer = Assert.IsType<ReplyAfterWrites>(Assert.Single(decision.Effects)).Answer;
        Assert.Equal(new SendAck { ClientMsgId = "a-1", ServerMsgId = "srv-1", ServerTimeMs = 1_000 }, answer);
    }

    [Fact]
    public void An_ACK_sends_exactly_the_DELIVERED_receipts_its_event_adds_to_the_outbox()
    {
        Register();
        Apply(_state.Decide(Send(Alice, "a-1"), "srv-1", nowMs: 1_000));
        Apply(_state.Queue.Decide(Receipt(Bob, "srv-x"), nowMs: 1_500));
        Apply(_state.Decide(Send(Bob, "b-1"), "srv-2", nowMs: 2_000));
        Apply(_state.Decide(Send(Alice, "a-2"), "srv-3", nowMs: 3_000));

        // Three items pushed of four: the ACK of all four covers only those.
        var decision = _state.Queue.Decide(new AcknowledgeItems { Phone = Me, UpToSeq = 4 }, pushedUpTo: 3, nowMs: 4_000);

        var acked = Assert.IsType<ItemsAcknowledged>(Assert.Single(decision.Events));
        Assert.Equal(3UL, acked.UpToSeq);
        Assert.Equal(new TraceAcknowledged(3), decision.Effects[0]);
        Assert.Empty(Assert.IsType<NotifyGroupsAcknowledged>(decision.Effects[1]).UpTo);
        Assert.Equal(new CountAcknowledged(3), decision.Effects[2]);
        var owed = Assert.IsType<SendReceipts>(decision.Effects[3]).Range;
        Assert.IsType<PushItems>(decision.Effects[4]);

        Apply(decision);
        var added = _state.Outbox.Where(o => o.Id >= owed.First && o.Id <= owed.Last).ToList();
        Assert.Equal(_state.Outbox.Select(o => o.Id), added.Select(o => o.Id)); // the range is every new entry
        Assert.Equal(new[] { ("srv-1", Alice), ("srv-2", Bob) }, added.Select(o => (o.ServerMsgId, o.To)));
        Assert.All(added, o => Assert.Equal((uint)ReceiptStatus.Delivered, o.Status));
    }

    [Fact]
    public void An_ACK_of_nothing_new_decides_nothing()
    {
        Register();
        Apply(_state.Decide(Send(Alice, "a-1"), "srv-1", nowMs: 1_000));

        Assert.True(_state.Queue.Decide(new AcknowledgeItems { Phone = Me, UpToSeq = 1 }, pushedUpTo: 0, nowMs: 2_000).IsNone);
    }

    [Fact]
    public void A_READ_refuses_unknown_ids_at_once_and_sends_the_READ_receipts_of_the_known_ones_once_durable()
    {
        Register();
        Apply(_state.Decide(Send(Alice, "a-1"), "srv-1", nowMs: 1_000));
        var read = new MarkRead { Phone = Me, From = Alice, ServerMsgIds = { "srv-1", "nope", new string('x', 300) } };

        var decision = _state.Queue.Decide(read, nowMs: 2_000);

        var marked = Assert.IsType<MessagesRead>(Assert.Single(decision.Events));
        Assert.Equal(new[] { "srv-1" }, marked.ServerMsgIds);
        Assert.Collection(
            decision.Effects,
            e => Assert.Equal("nope", ((Error)Assert.IsType<ReplyNow>(e).Answer).Ref),
            e => Assert.Equal(new string('x', 256), ((Error)Assert.IsType<ReplyNow>(e).Answer).Ref),
            e => Assert.IsType<SendReceipts>(e));
        Assert.All(decision.Effects.OfType<ReplyNow>(), e => Assert.Equal(ErrorCode.NotFound, (ErrorCode)((Error)e.Answer).Code));

        var owed = ((SendReceipts)decision.Effects[2]).Range;
        Apply(decision);
        var entry = Assert.Single(_state.Outbox);
        Assert.Equal((owed.First, owed.Last), (entry.Id, entry.Id));
        Assert.Equal((uint)ReceiptStatus.Read, entry.Status);
    }

    [Fact]
    public void A_READ_of_only_unknown_ids_journals_nothing()
    {
        Register();

        var decision = _state.Queue.Decide(new MarkRead { Phone = Me, From = Alice, ServerMsgIds = { "nope" } }, nowMs: 2_000);

        Assert.Empty(decision.Events);
        Assert.IsType<ReplyNow>(Assert.Single(decision.Effects));
    }

    [Fact]
    public void A_receipt_is_queued_and_confirmed_to_its_sender_once_durable_and_a_repeat_is_confirmed_after_the_writes_in_flight()
    {
        Register();
        var stored = new ReceiptStored { Phone = Bob, OutboxId = 7 };

        var first = _state.Queue.Decide(Receipt(Bob, "srv-x", outboxId: 7), nowMs: 1_000);
        Assert.IsType<ReceiptQueued>(Assert.Single(first.Events));
        Assert.Collection(first.Effects, e => Assert.Equal(stored, Assert.IsType<Reply>(e).Answer), e => Assert.IsType<PushItems>(e));

        Apply(first);
        var again = _state.Queue.Decide(Receipt(Bob, "srv-x", outboxId: 7), nowMs: 2_000);
        Assert.Empty(again.Events);
        Assert.Equal(stored, Assert.IsType<ReplyAfterWrites>(Assert.Single(again.Effects)).Answer);
    }

    [Fact]
    public void A_status_for_an_unregistered_user_is_answered_at_once_and_a_repeat_after_the_writes_in_flight()
    {
        var command = new Node.Statuses.QueueStatus { Phone = Me, Update = new StatusUpdate { StatusId = "st-1", From = Alice, ExpiresAtMs = 10_000 } };
        var answer = new Node.Statuses.StatusQueued { Phone = Me, StatusId = "st-1" };

        var unregistered = _state.Decide(command, nowMs: 1_000);
        Assert.Empty(unregistered.Events);
        Assert.Equal(answer, Assert.IsType<Reply>(Assert.Single(unregistered.Effects)).Answer);

        Register();
        var queued = _state.Decide(command, nowMs: 1_000);
        Assert.IsType<StatusUpdateQueued>(Assert.Single(queued.Events));
        Assert.Collection(queued.Effects, e => Assert.Equal(answer, Assert.IsType<Reply>(e).Answer), e => Assert.IsType<PushItems>(e));

        Apply(queued);
        var again = _state.Decide(command, nowMs: 2_000);
        Assert.Empty(again.Events);
        Assert.Equal(answer, Assert.IsType<ReplyAfterWrites>(Assert.Single(again.Effects)).Answer);
    }

    // ---- registration ----

    [Fact]
    public void A_code_request_sends_the_code_by_SMS_and_reveals_it_only_when_configured()
    {
        var code = VerificationCode.Issue(DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(5), 3);

        var revealed = RegistrationState.DecideRequestCode(Me, code, TimeSpan.FromMinutes(5), revealCodes: true);
        var hidden = RegistrationState.DecideRequestCode(Me, code, TimeSpan.FromMinutes(5), revealCodes: false);

        Assert.Empty(revealed.Events);
        Assert.Equal(new SendCode(Me, code.Code, TimeSpan.FromMinutes(5)), revealed.Effects[0]);
        Assert.Equal(new AuthCodeSent { ExpiresInS = 300, DevCode = code.Code }, Assert.IsType<Reply>(revealed.Effects[1]).Answer);
        Assert.Equal(new AuthCodeSent { ExpiresInS = 300 }, Assert.IsType<Reply>(hidden.Effects[1]).Answer);
    }

    [Fact]
    public void A_wrong_code_is_refused_at_once_with_AUTH_FAILED()
    {
        var decision = _state.Registration.DecideVerify(Me, codeAccepted: false, "phone", [], ByteString.Empty, nowMs: 1, registrationDurable: false);

        Assert.Empty(decision.Events);
        Assert.Equal(ErrorCode.AuthFailed, (ErrorCode)((Error)Assert.IsType<ReplyNow>(Assert.Single(decision.Effects)).Answer).Code);
    }

    [Fact]
    public void A_first_verify_registers_issues_the_token_after_the_directory_row_then_starts_the_session()
    {
        var token = ByteString.CopyFromUtf8("token-1");
        var hash = DeviceTokens.Hash(token.Span);

        var decision = _state.Registration.DecideVerify(Me, codeAccepted: true, "phone", hash, token, nowMs: 1_000, registrationDurable: false);

        Assert.Collection(
            decision.Events,
            e => Assert.Equal(1_000, Assert.IsType<UserRegistered>(e).AtMs),
            e => Assert.Equal(ByteString.CopyFrom(hash), Assert.IsType<DeviceTokenIssued>(e).TokenHash));
        var entry = Assert.IsType<WriteDirectoryFirst>(decision.Effects[0]).Entry;
        Assert.Equal((Me, 1_000L, false), (entry.Phone, entry.RegisteredAtMs, entry.Confirmed));
        Assert.True(entry.HasToken(hash));
        Assert.Equal(new StartSession(token), decision.Effects[1]);
    }

    [Fact]
    public void A_later_verify_only_issues_a_token_and_the_directory_row_keeps_the_newest_tokens()
    {
        var state = new UserState(Me, dedupCapacity: 64, maxDeviceTokens: 2);
        foreach (var name in new[] { "t1", "t2" })
        {
            Apply(state, state.Registration.DecideVerify(Me, true, name, DeviceTokens.Hash(ByteString.CopyFromUtf8(name).Span), ByteString.CopyFromUtf8(name), 1, false));
        }

        var hash3 = DeviceTokens.Hash(ByteString.CopyFromUtf8("t3").Span);
        var decision = state.Registration.DecideVerify(Me, true, "t3", hash3, ByteString.CopyFromUtf8("t3"), 3, registrationDurable: true);

        Assert.IsType<DeviceTokenIssued>(Assert.Single(decision.Events));
        var entry = Assert.IsType<WriteDirectoryFirst>(decision.Effects[0]).Entry;
        Assert.True(entry.Confirmed);
        Assert.Equal(2, entry.TokenHashes.Count);
        Assert.False(entry.HasToken(DeviceTokens.Hash(ByteString.CopyFromUtf8("t1").Span)));
        Assert.True(entry.HasToken(hash3));
    }

    [Fact]
    public void A_login_with_a_known_token_journals_the_login_then_attaches_and_an_unknown_one_is_refused()
    {
        var token = ByteString.CopyFromUtf8("token-1");
        Apply(_state, _state.Registration.DecideVerify(Me, true, "phone", DeviceTokens.Hash(token.Span), token, 1, false));

        var refused = _state.Registration.DecideLogin(DeviceTokens.Hash(ByteString.CopyFromUtf8("other").Span), "akka://x/user/c1#1", nowMs: 2);
        var accepted = _state.Registration.DecideLogin(DeviceTokens.Hash(token.Span), "akka://x/user/c1#1", nowMs: 2);

        Assert.Empty(refused.Events);
        Assert.Equal(ErrorCode.AuthFailed, (ErrorCode)((Error)Assert.IsType<ReplyNow>(Assert.Single(refused.Effects)).Answer).Code);
        Assert.Equal(new SessionLoggedIn { Session = "akka://x/user/c1#1", AtMs = 2 }, Assert.Single(accepted.Events));
        Assert.Equal(new Effect[] { new AttachSession(ByteString.Empty), new ReplyIfNotStored("the login could not be stored; try again") }, accepted.Effects);
    }

    [Fact]
    public void An_unconfirmed_directory_entry_is_confirmed_when_the_journal_holds_the_registration_and_removed_when_it_never_got_there()
    {
        Assert.Equal(ConfirmInDirectory.Instance, Assert.Single(_state.Registration.DecideConfirmDirectoryEntry(registrationDurable: true).Effects));
        Assert.Equal(RemoveFromDirectory.Instance, Assert.Single(_state.Registration.DecideConfirmDirectoryEntry(registrationDurable: false).Effects));

        Register(); // applied, not yet durable: wait for the journal
        Assert.True(_state.Registration.DecideConfirmDirectoryEntry(registrationDurable: false).IsNone);
    }

    [Fact]
    public void A_journal_without_a_directory_row_writes_its_row_confirmed_with_its_tokens_only_when_it_holds_the_registration()
    {
        Assert.True(_state.Registration.DecideBackfillDirectoryEntry(Me, registrationDurable: false, nowMs: 5).IsNone);

        var token = ByteString.CopyFromUtf8("token-1");
        var hash = DeviceTokens.Hash(token.Span);
        Apply(_state, _state.Registration.DecideVerify(Me, true, "phone", hash, token, nowMs: 1_000, registrationDurable: false));

        var decision = _state.Registration.DecideBackfillDirectoryEntry(Me, registrationDurable: true, nowMs: 9_000);

        Assert.Empty(decision.Events);
        var entry = Assert.IsType<WriteDirectoryEntry>(Assert.Single(decision.Effects)).Entry;
        Assert.Equal((Me, 1_000L, true), (entry.Phone, entry.RegisteredAtMs, entry.Confirmed));
        Assert.True(entry.HasToken(hash));
        Assert.Single(entry.TokenHashes);
    }

    // ---- helpers ----

    private void Register() => _state.Apply(new UserRegistered { AtMs = 0 });

    private void Apply(Decision decision) => Apply(_state, decision);

    private static void Apply(UserState state, Decision decision)
    {
        foreach (var e in decision.Events)
        {
            state.Apply(e);
        }
    }

    private static SubmitMessage Send(string from, string clientMsgId) => new()
    {
        Phone = Me,
        From = from,
        ClientMsgId = clientMsgId,
        Kind = (uint)MessageKind.Text,
        Body = ByteString.CopyFromUtf8("hello"),
    };

    private static StoreReceipt Receipt(string by, string serverMsgId, ulong outboxId = 1) => new()
    {
        Phone = Me,
        OutboxId = outboxId,
        ServerMsgId = serverMsgId,
        ClientMsgId = "c-" + serverMsgId,
        Status = (uint)ReceiptStatus.Delivered,
        By = by,
        AtMs = 42,
    };
}

/// <summary>The sessions part's rule for a connection that asks to be attached again.</summary>
public sealed class SessionRulesTests : Akka.TestKit.Xunit2.TestKit
{
    private const string Me = "+14155550100";

    [Fact]
    public void The_latest_login_resumes_and_replaces_another_attached_session()
    {
        var latest = CreateTestProbe().Ref;
        var stale = CreateTestProbe().Ref;

        var decision = SessionRules.DecideResume(Me, Akka.Serialization.Serialization.SerializedActorPath(latest), stale, attachedLoggedInAtMs: 9_000, latest, candidateLoggedInAtMs: 1_000);

        Assert.Empty(decision.Events);
        Assert.Equal(new Effect[] { new ReplaceSession(stale), new AttachResumed(1_000) }, decision.Effects);
    }

    [Fact]
    public void A_connection_the_journal_does_not_name_as_the_latest_login_is_told_it_was_replaced_whatever_its_clock_says()
    {
        var latest = CreateTestProbe().Ref;
        var other = CreateTestProbe().Ref;

        var decision = SessionRules.DecideResume(Me, Akka.Serialization.Serialization.SerializedActorPath(latest), attached: null, 0, other, candidateLoggedInAtMs: long.MaxValue);

        Assert.Equal(new SessionReplaced { Phone = Me }, Assert.IsType<ReplyNow>(Assert.Single(decision.Effects)).Answer);
    }

    [Fact]
    public void Without_a_journaled_login_the_later_login_time_wins()
    {
        var attached = CreateTestProbe().Ref;
        var candidate = CreateTestProbe().Ref;

        var older = SessionRules.DecideResume(Me, latestSession: "", attached, attachedLoggedInAtMs: 5_000, candidate, candidateLoggedInAtMs: 5_000);
        var newer = SessionRules.DecideResume(Me, latestSession: "", attached, attachedLoggedInAtMs: 5_000, candidate, candidateLoggedInAtMs: 5_001);
        var alone = SessionRules.DecideResume(Me, latestSession: "", attached: null, 0, candidate, candidateLoggedInAtMs: 1);

        Assert.IsType<ReplyNow>(Assert.Single(older.Effects));
        Assert.Equal(new Effect[] { new ReplaceSession(attached), new AttachResumed(5_001) }, newer.Effects);
        Assert.Equal(new Effect[] { new AttachResumed(1) }, alone.Effects);
    }
}
