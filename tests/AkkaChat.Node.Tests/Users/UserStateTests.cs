using AkkaChat.Node.Contracts;
using AkkaChat.Node.Inbox;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Node.Tests.Users;

/// <summary>The queue's rules, without an actor: decide an event, apply it, look at the state.</summary>
public sealed class UserStateTests
{
    private const string Me = "+14155550100";
    private const string Alice = "+447700900123";
    private const string Bob = "+4915112345678";

    // Events applied so far, in order, as the journal would hold them.
    private readonly List<IMessage> _journal = new();
    private readonly UserState _state = new(Me, dedupCapacity: 64);
    private int _nextServerMsgId = 1;

    [Fact]
    public void Submissions_are_queued_as_deliveries_with_consecutive_seqs_starting_at_one()
    {
        Register();

        var first = Submit(Alice, "a-1", "hello", nowMs: 1_000);
        var second = Submit(Bob, "b-1", "hi", nowMs: 2_000);
        var third = Submit(Alice, "a-2", "again", nowMs: 3_000);

        Assert.Equal(new ulong[] { 1, 2, 3 }, new[] { first.Item.Seq, second.Item.Seq, third.Item.Seq });
        Assert.Equal(new ulong[] { 1, 2, 3 }, _state.Inbox.Items.Select(i => i.Deliver.Seq));
        Assert.Equal(4UL, _state.NextSeq);

        var deliver = _state.Inbox[0].Deliver;
        Assert.Equal(Alice, deliver.From);
        Assert.Equal("hello", deliver.Body.ToStringUtf8());
        Assert.Equal(1_000, deliver.SentAtMs);
        Assert.Equal("a-1", _state.Inbox[0].ClientMsgId);
        Assert.Equal(QueuedItem.ItemOneofCase.Deliver, _state.Inbox[1].ItemCase);
    }

    [Fact]
    public void A_resent_submission_returns_the_first_server_msg_id_and_yields_no_event()
    {
        Register();
        var first = Submit(Alice, "a-1", "hello", nowMs: 1_000);

        var again = _state.DecideSubmit(SubmitFrom(Alice, "a-1", "hello"), "another-id", nowMs: 9_000, out var duplicateOf);

        Assert.Null(again);
        Assert.NotNull(duplicateOf);
        Assert.Equal(first.Item.Deliver.ServerMsgId, duplicateOf.ServerMsgId);
        Assert.Equal(1_000, duplicateOf.ServerTimeMs);
        Assert.Equal(1, _state.Inbox.Count);
    }

    [Fact]
    public void The_same_client_msg_id_from_another_sender_is_a_new_message()
    {
        Register();
        Submit(Alice, "same", "from alice", nowMs: 1_000);

        var fromBob = _state.DecideSubmit(SubmitFrom(Bob, "same", "from bob"), "id-bob", nowMs: 2_000, out var duplicateOf);

        Assert.NotNull(fromBob);
        Assert.Null(duplicateOf);
        Assert.Equal(2UL, fromBob.Item.Seq);
    }

    [Fact]
    public void Acknowledging_removes_items_only_up_to_what_was_delivered_to_the_session()
    {
        Register();
        for (var i = 1; i <= 5; i++)
        {
            Submit(Alice, $"a-{i}", "m", nowMs: i);
        }

        // The client claims up to 5, but only 1..3 were pushed to its session.
        var acked = _state.DecideAcknowledge(upToSeq: 5, deliveredUpTo: 3, nowMs: 100);

        Assert.NotNull(acked);
        Assert.Equal(3UL, acked.UpToSeq);
        Apply(acked);
        Assert.Equal(4UL, _state.Inbox.FirstSeq);
        Assert.Equal(2, _state.Inbox.Count);
    }

    [Fact]
    public void Acknowledging_adds_one_delivered_receipt_per_deliver_with_the_original_client_msg_id()
    {
        Register();
        var fromAlice = Submit(Alice, "a-1", "m", nowMs: 1);
        StoreReceipt(by: Bob, serverMsgId: "earlier", ReceiptStatus.Read, nowMs: 2); // seq 2, a RECEIPT
        var fromBob = Submit(Bob, "b-7", "m", nowMs: 3);

        Apply(_state.DecideAcknowledge(upToSeq: 3, deliveredUpTo: 3, nowMs: 50)!);

        var outbox = _state.Outbox.ToList();
        Assert.Equal(2, outbox.Count); // the RECEIPT at seq 2 owes nobody a receipt
        Assert.Equal((Alice, fromAlice.Item.Deliver.ServerMsgId, "a-1", (uint)ReceiptStatus.Delivered, 50L),
            (outbox[0].To, outbox[0].ServerMsgId, outbox[0].ClientMsgId, outbox[0].Status, outbox[0].AtMs));
        Assert.Equal((Bob, fromBob.Item.Deliver.ServerMsgId, "b-7", (uint)ReceiptStatus.Delivered),
            (outbox[1].To, outbox[1].ServerMsgId, outbox[1].ClientMsgId, outbox[1].Status));
        Assert.Equal(new ulong[] { 1, 2 }, outbox.Select(e => e.Id));
    }

    [Fact]
    public void The_receipts_an_acknowledgement_owes_are_exactly_the_outbox_entries_its_event_adds()
    {
        Register();
        Submit(Alice, "a-1", "m", nowMs: 1);
        StoreReceipt(by: Bob, serverMsgId: "earlier", ReceiptStatus.Read, nowMs: 2); // owes nothing
        Submit(Bob, "b-7", "m", nowMs: 3);
        Apply(_state.DecideAcknowledge(upToSeq: 1, deliveredUpTo: 1, nowMs: 4, out var first)!);

        var acked = _state.DecideAcknowledge(upToSeq: 3, deliveredUpTo: 3, nowMs: 50, out var owed);
        Apply(acked!);

        Assert.Equal(new OutboxRange(1, 1), first);
        Assert.Equal(new OutboxRange(2, 2), owed);
        Assert.Equal([1UL, 2UL], _state.Outbox.Select(e => e.Id));
    }

    [Fact]
    public void An_acknowledgement_of_receipts_only_owes_nothing()
    {
        Register();
        StoreReceipt(by: Bob, serverMsgId: "earlier", ReceiptStatus.Read, nowMs: 2);

        Assert.NotNull(_state.DecideAcknowledge(upToSeq: 1, deliveredUpTo: 1, nowMs: 4, out var owed));
        Assert.True(owed.IsEmpty);
    }

    [Fact]
    public void The_receipts_a_read_owes_are_exactly_the_outbox_entries_its_event_adds()
    {
        Register();
        var one = Submit(Alice, "a-1", "m", nowMs: 1).Item.Deliver.ServerMsgId;
        var two = Submit(Alice, "a-2", "m", nowMs: 2).Item.Deliver.ServerMsgId;

        var read = _state.DecideRead(Alice, [one, two, "never-seen"], nowMs: 10, out var owed);
        Apply(read!);

        Assert.Equal(new OutboxRange(1, 2), owed);
        Assert.Equal(_state.Outbox.Select(e => e.Id), [owed.First, owed.Last]);
    }

    [Fact]
    public void An_acknowledgement_of_nothing_new_yields_no_event()
    {
        Register();
        Assert.Null(_state.DecideAcknowledge(upToSeq: 1, deliveredUpTo: 1, nowMs: 1)); // empty queue

        Submit(Alice, "a-1", "m", nowMs: 1);
        Submit(Alice, "a-2", "m", nowMs: 2);
        Assert.Null(_state.DecideAcknowledge(upToSeq: 0, deliveredUpTo: 2, nowMs: 3));
        Assert.Null(_state.DecideAcknowledge(upToSeq: 2, deliveredUpTo: 0, nowMs: 3)); // nothing pushed yet

        Apply(_state.DecideAcknowledge(upToSeq: 1, deliveredUpTo: 2, nowMs: 3)!);
        Assert.Null(_state.DecideAcknowledge(upToSeq: 1, deliveredUpTo: 2, nowMs: 4)); // seq 1 is gone already
        Assert.NotNull(_state.DecideAcknowledge(upToSeq: 2, deliveredUpTo: 2, nowMs: 4));
    }

    [Fact]
    public void Read_yields_receipts_only_for_ids_remembered_from_that_sender()
    {
        Register();
        var fromAlice = Submit(Alice, "a-1", "m", nowMs: 1).Item.Deliver.ServerMsgId;
        var fromBob = Submit(Bob, "b-1", "m", nowMs: 2).Item.Deliver.ServerMsgId;

        var read = _state.DecideRead(Alice, [fromAlice, fromBob, "never-seen"], nowMs: 10);

        Assert.NotNull(read);
        Assert.Equal([fromAlice], read.ServerMsgIds);
        Assert.Equal(Alice, read.From);
        Assert.Null(_state.DecideRead(Alice, [fromBob, "never-seen"], nowMs: 10));

        Apply(read);
        var receipt = Assert.Single(_state.Outbox);
        Assert.Equal((Alice, fromAlice, "a-1", (uint)ReceiptStatus.Read, 10L),
            (receipt.To, receipt.ServerMsgId, receipt.ClientMsgId, receipt.Status, receipt.AtMs));
    }

    [Fact]
    public void A_receipt_stored_twice_is_queued_once()
    {
        Register();
        StoreReceipt(by: Bob, serverMsgId: "m-1", ReceiptStatus.Delivered, nowMs: 1);

        var sameAgain = _state.DecideStoreReceipt(ReceiptCommand(Bob, "m-1", ReceiptStatus.Delivered, outboxId: 99), nowMs: 2);
        var readOfSame = _state.DecideStoreReceipt(ReceiptCommand(Bob, "m-1", ReceiptStatus.Read, outboxId: 100), nowMs: 2);
        var byAnother = _state.DecideStoreReceipt(ReceiptCommand(Alice, "m-1", ReceiptStatus.Delivered, outboxId: 1), nowMs: 2);

        Assert.Null(sameAgain);
        Assert.NotNull(readOfSame);
        Assert.NotNull(byAnother);
        var queued = Assert.Single(_state.Inbox.Items).Receipt;
        Assert.Equal((1UL, "m-1", "c-m-1", (uint)ReceiptStatus.Delivered, Bob),
            (queued.Seq, queued.ServerMsgId, queued.ClientMsgId, queued.Status, queued.By));
    }

    [Fact]
    public void Confirmed_receipts_leave_the_outbox()
    {
        Register();
        Submit(Alice, "a-1", "m", nowMs: 1);
        Submit(Alice, "a-2", "m", nowMs: 2);
        Submit(Bob, "b-1", "m", nowMs: 3);
        Apply(_state.DecideAcknowledge(3, 3, nowMs: 4)!);
        Assert.Equal(new ulong[] { 1, 2, 3 }, _state.Outbox.Select(e => e.Id));

        Apply(new ReceiptsConfirmed { OutboxIds = { 1, 3 } });

        Assert.Equal(new ulong[] { 2 }, _state.Outbox.Select(e => e.Id));
        Assert.Equal(4UL, _state.NextOutboxId);
    }

    [Fact]
    public void Confirmations_carried_by_a_queued_message_or_an_ack_leave_the_outbox_with_that_event()
    {
        Register();
        Submit(Alice, "a-1", "m", nowMs: 1);
        Submit(Alice, "a-2", "m", nowMs: 2);
        Apply(_state.DecideAcknowledge(2, 2, nowMs: 3)!);
        Assert.Equal(new ulong[] { 1, 2 }, _state.Outbox.Select(e => e.Id));

        var next = _state.DecideSubmit(SubmitFrom(Bob, "b-1", "m"), "srv-b-1", nowMs: 4, out _)!;
        Assert.True(InboxState.TryCarryConfirmations(next, new ulong[] { 1 }));
        Apply(next);
        Assert.Equal(new ulong[] { 2 }, _state.Outbox.Select(e => e.Id));

        // The ACK's own receipt (id 3) enters the outbox, the confirmation it carries (id 2) leaves it.
        var ack = _state.DecideAcknowledge(3, 3, nowMs: 5)!;
        Assert.True(InboxState.TryCarryConfirmations(ack, new ulong[] { 2 }));
        Apply(ack);
        Assert.Equal(new ulong[] { 3 }, _state.Outbox.Select(e => e.Id));

        Assert.False(InboxState.TryCarryConfirmations(new ItemsExpired { UpToSeq = 1, Count = 1 }, new ulong[] { 3 }));
    }

    [Fact]
    public void Expiry_drops_only_items_older_than_the_max_age_from_the_front_and_counts_them()
    {
        const long maxAge = 1_000;
        Register();
        Submit(Alice, "a-1", "m", nowMs: 0);
        Submit(Alice, "a-2", "m", nowMs: 10);
        Submit(Alice, "a-3", "m", nowMs: 20);
        Submit(Alice, "a-4", "m", nowMs: 30);

        Assert.Null(_state.DecideExpire(nowMs: maxAge - 1, maxAge));
        var expired = _state.DecideExpire(nowMs: maxAge + 15, maxAge); // ages 1015, 1005, 995, 985

        Assert.NotNull(expired);
        Assert.Equal((2UL, 2U), (expired.UpToSeq, expired.Count));
        Apply(expired);
        Assert.Equal(new ulong[] { 3, 4 }, _state.Inbox.Items.Select(i => i.Seq));
        Assert.Equal(2UL, _state.ExpiredTotal);

        Apply(_state.DecideExpire(nowMs: 5_000, maxAge)!);
        Assert.Equal(0, _state.Inbox.Count);
        Assert.Equal(4UL, _state.ExpiredTotal);
    }

    [Fact]
    public void Expiry_stops_at_the_first_item_that_is_young_enough()
    {
        const long maxAge = 1_000;
        Register();
        Submit(Alice, "a-1", "m", nowMs: 500);
        Submit(Alice, "a-2", "m", nowMs: 0); // older, but behind a young one

        Assert.Null(_state.DecideExpire(nowMs: 1_200, maxAge));
    }

    [Fact]
    public void Expiry_drops_no_item_past_the_seq_it_is_limited_to()
    {
        Register();
        Submit(Alice, "a-1", "m", nowMs: 0);
        Submit(Alice, "a-2", "m", nowMs: 0);

        // Both are past max-age, but only seq 1 is in the journal yet.
        var expired = _state.DecideExpire(nowMs: 10_000, maxAgeMs: 1_000, upToSeq: 1);

        Assert.Equal((1UL, 1U), (expired!.UpToSeq, expired.Count));
        Assert.Null(_state.DecideExpire(nowMs: 10_000, maxAgeMs: 1_000, upToSeq: 0));
    }

    [Fact]
    public void Expired_items_owe_their_senders_no_receipt()
    {
        Register();
        Submit(Alice, "a-1", "m", nowMs: 0);

        Apply(_state.DecideExpire(nowMs: 10_000, maxAgeMs: 1_000)!);

        Assert.Empty(_state.Outbox);
    }

    [Fact]
    public void RemovedUpTo_follows_acknowledgements_and_expiry()
    {
        Register();
        Assert.Equal(0UL, _state.RemovedUpTo);
        for (var i = 1; i <= 6; i++)
        {
            Submit(Alice, $"a-{i}", "m", nowMs: i * 100);
        }

        Assert.Equal(0UL, _state.RemovedUpTo);

        Apply(_state.DecideAcknowledge(upToSeq: 2, deliveredUpTo: 6, nowMs: 700)!);
        Assert.Equal(2UL, _state.RemovedUpTo);

        Apply(_state.DecideExpire(nowMs: 1_450, maxAgeMs: 1_000)!); // seqs 3 and 4 (at 300, 400)
        Assert.Equal(4UL, _state.RemovedUpTo);

        StoreReceipt(by: Bob, serverMsgId: "x", ReceiptStatus.Delivered, nowMs: 1_500); // seq 7
        Assert.Equal(4UL, _state.RemovedUpTo);

        Apply(_state.DecideAcknowledge(upToSeq: 7, deliveredUpTo: 7, nowMs: 1_600)!);
        Assert.Equal(7UL, _state.RemovedUpTo);
        Assert.Equal(0, _state.Inbox.Count);
    }

    [Fact]
    public void A_snapshot_restores_an_equal_state()
    {
        BuildVariedHistory();

        var snapshot = _state.ToSnapshot();
        var restored = UserState.FromSnapshot(Me, dedupCapacity: 64, snapshot);

        Assert.Equal(snapshot, restored.ToSnapshot());
        Assert.Equal("akka://node/user/connections/c-1#42", restored.LatestSession);
        Assert.Equal(_state.RemovedUpTo, restored.RemovedUpTo);
        Assert.Equal(_state.Inbox.FirstSeq, restored.Inbox.FirstSeq);
        Assert.True(restored.Registered);

        // The restored state decides as the original does.
        var resent = SubmitFrom(Alice, "a-3", "m");
        Assert.Null(restored.DecideSubmit(resent, "new", nowMs: 1, out var duplicate));
        _state.DecideSubmit(resent, "new", nowMs: 1, out var originalDuplicate);
        Assert.Equal(originalDuplicate, duplicate);
        Assert.Equal(_state.DecideSubmit(SubmitFrom(Bob, "fresh", "m"), "id", 1, out _),
            restored.DecideSubmit(SubmitFrom(Bob, "fresh", "m"), "id", 1, out _));
    }

    [Fact]
    public void Replaying_the_journal_gives_the_same_state_as_applying_it_live()
    {
        BuildVariedHistory();

        var replayed = new UserState(Me, dedupCapacity: 64);
        foreach (var e in _journal)
        {
            replayed.Apply(e);
        }

        Assert.Equal(_state.ToSnapshot(), replayed.ToSnapshot());
    }

    [Fact]
    public void A_snapshot_taken_midway_plus_the_later_events_gives_the_same_state()
    {
        BuildVariedHistory();
        var middle = _journal.Count / 2;

        var prefix = new UserState(Me, dedupCapacity: 64);
        foreach (var e in _journal.Take(middle))
        {
            prefix.Apply(e);
        }

        var recovered = UserState.FromSnapshot(Me, 64, prefix.ToSnapshot());
        foreach (var e in _journal.Skip(middle))
        {
            recovered.Apply(e);
        }

        Assert.Equal(_state.ToSnapshot(), recovered.ToSnapshot());
    }

    [Fact]
    public void Only_the_newest_eight_device_tokens_are_kept()
    {
        var hashes = Enumerable.Range(1, UserState.DefaultMaxDeviceTokens + 2).Select(i => Hash($"device-{i}")).ToList();
        for (var i = 0; i < hashes.Count; i++)
        {
            Apply(_state.DecideIssueToken(hashes[i], $"device {i + 1}", nowMs: i));
        }

        Assert.Equal(UserState.DefaultMaxDeviceTokens, _state.Tokens.Count);
        Assert.Equal("device 3", _state.Tokens[0].DeviceName);
        Assert.Equal("device 10", _state.Tokens[^1].DeviceName);
        Assert.False(_state.HasToken(hashes[0]));
        Assert.False(_state.HasToken(hashes[1]));
        Assert.All(hashes.Skip(2), h => Assert.True(_state.HasToken(h)));
    }

    [Fact]
    public void A_token_is_recognised_only_by_a_hash_that_was_issued()
    {
        Assert.False(_state.Registered);
        var issued = Hash("the device");
        Apply(_state.DecideIssueToken(issued, "phone", nowMs: 1));

        Assert.True(_state.Registered);
        Assert.True(_state.HasToken(issued));
        Assert.False(_state.HasToken(Hash("another device")));
        Assert.False(_state.HasToken(issued.AsSpan(0, 16)));
        Assert.False(_state.HasToken(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void An_event_of_another_actor_is_refused()
    {
        Assert.Throws<ArgumentException>(() => _state.Apply(new Ping()));
    }

    // ---- helpers ----

    private void Register() => Apply(new UserRegistered { AtMs = 0 });

    private void Apply(IMessage e)
    {
        _state.Apply(e);
        _journal.Add(e);
    }

    private MessageQueued Submit(string from, string clientMsgId, string body, long nowMs)
    {
        var queued = _state.DecideSubmit(SubmitFrom(from, clientMsgId, body), $"srv-{_nextServerMsgId++}", nowMs, out var duplicateOf);
        Assert.Null(duplicateOf);
        Assert.NotNull(queued);
        Apply(queued);
        return queued;
    }

    private void StoreReceipt(string by, string serverMsgId, ReceiptStatus status, long nowMs) =>
        Apply(_state.DecideStoreReceipt(ReceiptCommand(by, serverMsgId, status, outboxId: 1), nowMs)!);

    private static SubmitMessage SubmitFrom(string from, string clientMsgId, string body) => new()
    {
        Phone = Me,
        From = from,
        ClientMsgId = clientMsgId,
        Kind = (uint)MessageKind.Text,
        Body = ByteString.CopyFromUtf8(body),
    };

    private static StoreReceipt ReceiptCommand(string by, string serverMsgId, ReceiptStatus status, ulong outboxId) => new()
    {
        Phone = Me,
        OutboxId = outboxId,
        ServerMsgId = serverMsgId,
        ClientMsgId = "c-" + serverMsgId,
        Status = (uint)status,
        By = by,
        AtMs = 42,
    };

    private static byte[] Hash(string text) => System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Every kind of event, so a snapshot has something in each of its parts.</summary>
    private void BuildVariedHistory()
    {
        Register();
        Apply(_state.DecideIssueToken(Hash("phone"), "phone", nowMs: 1));
        Apply(_state.DecideIssueToken(Hash("laptop"), "laptop", nowMs: 2));
        Apply(_state.DecideLogin("akka://node/user/connections/c-1#42", nowMs: 3));
        for (var i = 1; i <= 4; i++)
        {
            Submit(Alice, $"a-{i}", $"message {i}", nowMs: 10 + i);
        }

        StoreReceipt(by: Bob, serverMsgId: "srv-b", ReceiptStatus.Delivered, nowMs: 20);
        Submit(Bob, "b-1", "from bob", nowMs: 21);
        Apply(_state.DecideAcknowledge(upToSeq: 2, deliveredUpTo: 6, nowMs: 30)!);
        Apply(_state.DecideRead(Alice, ["srv-3", "srv-4"], nowMs: 31)!);
        Apply(new ReceiptsConfirmed { OutboxIds = { 1 } });
        Apply(_state.DecideExpire(nowMs: 1_013, maxAgeMs: 1_000)!); // seq 3, enqueued at 13
        Submit(Alice, "a-5", "after expiry", nowMs: 40);
    }
}
