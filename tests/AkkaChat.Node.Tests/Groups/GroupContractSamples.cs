using AkkaChat.Node.Contracts;
using AkkaChat.Node.Groups.Contracts;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Node.Tests.Groups;

/// <summary>One filled-in sample of every contract of the groups module, for the serializer's round-trip tests.</summary>
public static class GroupContractSamples
{
    public static IEnumerable<IMessage> All(string me, string alice, ByteString body)
    {
        var info = new GroupInfo { Seq = 2, GroupId = "g1", Subject = "s", Version = 3, Members = { new GroupMember { Phone = me, Admin = true } } };
        var deliver = new Deliver { ServerMsgId = "srv-9", From = alice, GroupId = "g1", Kind = 1, Body = body, SentAtMs = 7 };
        var posted = new GroupMessagePosted { ServerMsgId = "srv-9", From = alice, ClientMsgId = "c-9", Kind = 1, Body = body, SentAtMs = 7 };
        yield return new CreateGroup { GroupId = "g1", RequestId = "r1", Creator = me, Subject = "s", Members = { alice } };
        yield return new UpdateGroup { GroupId = "g1", RequestId = "r2", By = me, Add = { alice }, Remove = { alice }, Promote = { alice }, Subject = "t", Leave = true };
        yield return new GetGroup { GroupId = "g1", RequestId = "r3", By = me };
        yield return new PostGroupMessage { GroupId = "g1", From = me, ClientMsgId = "c-9", Kind = 1, Body = body, MediaId = "m" };
        yield return new GroupTyping { GroupId = "g1", From = me, State = 1 };
        yield return new GroupItemsStored { GroupId = "g1", Phone = me, UpTo = 4 };
        yield return new GroupItemsAcknowledged { GroupId = "g1", Phone = me, UpTo = 3 };
        yield return new FetchGroupBodies { GroupId = "g1", Phone = me, ServerMsgIds = { "srv-9" } };
        yield return new QueueGroupItem { Phone = me, GroupId = "g1", ItemNo = 5, Deliver = deliver, ClientMsgId = "c-9" };
        yield return new GroupBodies { Phone = me, GroupId = "g1", Bodies = { new GroupBody { ServerMsgId = "srv-9", Body = body }, new GroupBody { ServerMsgId = "x", Missing = true } } };
        yield return new GroupItemQueued { Item = new QueuedItem { Seq = 6, GroupId = "g1", GroupItemNo = 5, BodyInGroup = true, GroupInfo = info } };
        yield return new GroupCreated { Creator = me, Subject = "s", Members = { alice }, RequestId = "r1", AtMs = 1 };
        yield return new GroupChanged { By = me, RequestId = "r2", Added = { alice }, Removed = { me }, Promoted = { alice }, SubjectChanged = true, Subject = "t", AtMs = 2 };
        yield return posted;
        yield return new DeliveryProgressed { Stored = { new MemberProgress { Phone = me, UpTo = 2 } }, Acknowledged = { new MemberProgress { Phone = alice, UpTo = 1 } } };
        yield return new GroupMessagesExpired { BeforeMs = 9 };
        yield return new GroupSnapshot
        {
            Exists = true,
            Subject = "s",
            Version = 3,
            Members = { new MemberRecord { Phone = me, Admin = true, Member = true, NextItemNo = 4, StoredUpTo = 3, AcknowledgedUpTo = 2 } },
            Messages = { new HeldMessage { Message = posted, Recipients = { new MemberProgress { Phone = alice, UpTo = 3 } } } },
            Infos = { new PendingInfo { Phone = alice, ItemNo = 4, Info = info } },
            Dedup = { new DedupEntry { Key = "m|x|y", ServerMsgId = "srv-9", ServerTimeMs = 7 } },
        };
    }
}
