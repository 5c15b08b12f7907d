using AkkaChat.Node.Contracts;
using AkkaChat.Node.Groups.Contracts;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Node.Tests.Groups;

/// <summary>A member's queue and a group's channel to it, without actors: each item once, in order, bodies not journaled.</summary>
public sealed class MemberQueueTests
{
    private const string Me = "+14155550100";
    private const string Alice = "+447700900123";

    private readonly UserState _state = new(Me, dedupCapacity: 64);

    [Fact]
    public void A_group_message_is_journaled_without_its_body_and_queued_with_it_in_memory()
    {
        var queued = Queue(Message(1, "s1", "the body"));

        Assert.True(queued.Item.BodyInGroup);
        Assert.True(queued.Item.Deliver.Body.IsEmpty);
        Assert.Equal("the body", _state.Inbox[0].Deliver.Body.ToStringUtf8());
        Assert.Equal("g1", _state.Inbox[0].Deliver.GroupId);
        Assert.Equal(1UL, _state.Inbox[0].Deliver.Seq);
    }

    [Fact]
    public void A_snapshot_keeps_group_messages_without_their_bodies_and_the_channel_position()
    {
        Queue(Message(1, "s1", "the body"));

        var snapshot = UserSnapshot.Parser.ParseFrom(_state.ToSnapshot().ToByteArray());
        var restored = UserState.FromSnapshot(Me, 64, snapshot);

        Assert.True(snapshot.Items[0].Deliver.Body.IsEmpty);
        Assert.Equal("the body", _state.Inbox[0].Deliver.Body.ToStringUtf8()); // the live queue keeps it
        Assert.True(AkkaChat.Node.Inbox.InboxState.LacksGroupBody(restored.Inbox[0]));
        Assert.Equal(1UL, restored.Queue.GroupItemsStored("g1"));
        Assert.Null(restored.Queue.DecideQueueGroupItem(Message(1, "s1", "the body"), 5));
    }

    [Fact]
    public void Items_of_a_channel_are_stored_once_and_only_in_order()
    {
        Queue(Message(1, "s1", "one"));

        Assert.Null(_state.Queue.DecideQueueGroupItem(Message(1, "s1", "one"), 2)); // resent
        Assert.Null(_state.Queue.DecideQueueGroupItem(Message(3, "s3", "three"), 2)); // past a gap
        Queue(Message(2, "s2", "two"));

        Assert.Equal(new[] { "s1", "s2" }, _state.Inbox.Items.Select(i => i.Deliver.ServerMsgId));
        Assert.Equal(2UL, _state.Queue.GroupItemsStored("g1"));
        Assert.Equal(0UL, _state.Queue.GroupItemsStored("other"));
    }

    [Fact]
    public void Acknowledging_a_group_message_owes_its_sender_a_delivered_receipt_with_the_group_id()
    {
        Queue(Info(1));
        Queue(Message(2, "s1", "hi"));

        var acked = _state.DecideAcknowledge(2, 2, 10, out var owed);
        var progress = _state.Queue.GroupItemsUpTo(2);
        _state.Apply(acked!);

        var receipt = Assert.Single(_state.Outbox);
        Assert.Equal(Alice, receipt.To);
        Assert.Equal("g1", receipt.GroupId);
        Assert.Equal("c-s1", receipt.ClientMsgId);
        Assert.Equal((uint)ReceiptStatus.Delivered, receipt.Status);
        Assert.Equal(owed.First, owed.Last); // the GROUP_INFO owes nobody a receipt
        Assert.Equal(2UL, progress["g1"]);
    }

    [Fact]
    public void Reading_a_group_message_owes_its_sender_a_read_receipt_with_the_group_id()
    {
        Queue(Message(1, "s1", "hi"));

        var read = _state.DecideRead(Alice, ["s1"], 10);
        _state.Apply(read!);

        var receipt = Assert.Single(_state.Outbox);
        Assert.Equal("g1", receipt.GroupId);
        Assert.Equal((uint)ReceiptStatus.Read, receipt.Status);
    }

    [Fact]
    public void A_group_message_and_a_direct_message_with_the_same_client_msg_id_are_both_queued()
    {
        Queue(Message(1, "s1", "to the group"));

        var direct = _state.DecideSubmit(new SubmitMessage { Phone = Me, From = Alice, ClientMsgId = "c-s1", Body = ByteString.CopyFromUtf8("to you") }, "d1", 3, out var duplicateOf);

        Assert.NotNull(direct);
        Assert.Null(duplicateOf);
    }

    private GroupItemQueued Queue(QueueGroupItem item)
    {
        var queued = _state.Queue.DecideQueueGroupItem(item, 1) ?? throw new InvalidOperationException("not queued");
        _state.Apply(queued);
        if (item.ItemCase == QueueGroupItem.ItemOneofCase.Deliver)
        {
            _state.Queue.AttachGroupBody(queued.Item.Seq, item.Deliver.Body);
        }

        return queued;
    }

    private static QueueGroupItem Message(ulong itemNo, string serverMsgId, string body) => new()
    {
        Phone = Me,
        GroupId = "g1",
        ItemNo = itemNo,
        ClientMsgId = "c-" + serverMsgId,
        Deliver = new Deliver { ServerMsgId = serverMsgId, From = Alice, GroupId = "g1", Kind = 1, Body = ByteString.CopyFromUtf8(body) },
    };

    private static QueueGroupItem Info(ulong itemNo) => new()
    {
        Phone = Me,
        GroupId = "g1",
        ItemNo = itemNo,
        Info = new GroupInfo { GroupId = "g1", Version = 1 },
    };
}
