using AkkaChat.Node.Contracts;
using AkkaChat.Node.Users;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Node.Tests.Status;

/// <summary>STATUS_UPDATE items in a user's queue (<see cref="UserState"/>), without an actor.</summary>
public sealed class StatusQueueTests
{
    private const string Me = "+14155550100";
    private const string Alice = "+447700900123";

    private readonly UserState _state = new(Me, dedupCapacity: 64);

    private static StatusUpdate Update(string id, long expiresAt = 86_400_000) => new()
    {
        From = Alice,
        StatusId = id,
        Kind = 1,
        Body = ByteString.CopyFromUtf8("never stored per contact"),
        PostedAtMs = 0,
        ExpiresAtMs = expiresAt,
    };

    private StatusUpdateQueued Queue(string id, long expiresAt = 86_400_000)
    {
        var queued = _state.Queue.DecideQueueStatus(Update(id, expiresAt), nowMs: 10)!;
        _state.Apply(queued);
        return queued;
    }

    [Fact]
    public void A_status_is_queued_without_its_body_at_the_next_seq()
    {
        _state.Apply(new UserRegistered { AtMs = 1 });

        var first = Queue("s1");
        var second = Queue("s2");

        Assert.Equal(1UL, first.Item.Seq);
        Assert.Equal(1UL, first.Item.StatusUpdate.Seq);
        Assert.Equal(2UL, second.Item.Seq);
        Assert.True(first.Item.StatusUpdate.Body.IsEmpty);
        Assert.Equal(Alice, _state.Inbox[0].StatusUpdate.From);
    }

    [Fact]
    public void The_same_status_is_queued_once()
    {
        Queue("s1");

        Assert.Null(_state.Queue.DecideQueueStatus(Update("s1"), nowMs: 20));
        Assert.Equal(1, _state.Inbox.Count);
    }

    [Fact]
    public void An_expired_update_behind_and_before_live_items_is_marked_once()
    {
        _state.Apply(new MessageQueued { Item = new QueuedItem { Seq = 1, EnqueuedAtMs = 1, Deliver = new Deliver { Seq = 1, ServerMsgId = "m1", From = Alice } } });
        Queue("old", expiresAt: 100);
        Queue("fresh", expiresAt: 10_000);

        var expired = _state.Queue.DecideExpireStatuses(nowMs: 100, upToSeq: 3)!;
        _state.Apply(expired);

        Assert.Equal([2UL], expired.Seqs);
        Assert.True(_state.Inbox[1].Expired);
        Assert.True(AkkaChat.Node.Inbox.InboxState.IsExpiredStatus(_state.Inbox[1], nowMs: 100));
        Assert.False(AkkaChat.Node.Inbox.InboxState.IsExpiredStatus(_state.Inbox[2], nowMs: 100));
        Assert.False(AkkaChat.Node.Inbox.InboxState.IsExpiredStatus(_state.Inbox[0], nowMs: long.MaxValue)); // a DELIVER never expires this way
        Assert.Null(_state.Queue.DecideExpireStatuses(nowMs: 100, upToSeq: 3)); // counted once
    }

    [Fact]
    public void Acknowledging_status_updates_owes_no_receipt()
    {
        Queue("s1");

        var acked = _state.DecideAcknowledge(1, deliveredUpTo: 1, nowMs: 20, out var owed)!;
        _state.Apply(acked);

        Assert.Equal(0, _state.Inbox.Count);
        Assert.Empty(_state.Outbox);
        Assert.True(owed.IsEmpty);
    }

    [Fact]
    public void A_queued_status_survives_a_snapshot()
    {
        Queue("s1", expiresAt: 500);
        _state.Apply(_state.Queue.DecideExpireStatuses(nowMs: 500, upToSeq: 1)!);

        var restored = UserState.FromSnapshot(Me, 64, _state.ToSnapshot());

        Assert.Equal("s1", restored.Inbox[0].StatusUpdate.StatusId);
        Assert.True(restored.Inbox[0].Expired);
        Assert.Null(restored.Queue.DecideQueueStatus(Update("s1"), nowMs: 20));
    }
}
