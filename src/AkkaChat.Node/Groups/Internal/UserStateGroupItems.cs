using AkkaChat.Node.Contracts;
using AkkaChat.Node.Users;
using AkkaChat.Node.Groups.Contracts;
using Google.Protobuf;

// The groups module's part of a member's queue: items of a group's channel are stored once each,
// in the channel's order, and a group message's body stays in the group.
namespace AkkaChat.Node.Inbox;

public sealed partial class InboxState
{
    // Per group: the highest item number of its channel to this user that the queue holds.
    private readonly Dictionary<string, ulong> _groupItemsStored = new(StringComparer.Ordinal);

    /// <summary>The highest item of <paramref name="groupId"/>'s channel this queue stored (0: none).</summary>
    public ulong GroupItemsStored(string groupId) => _groupItemsStored.GetValueOrDefault(groupId);

    /// <summary>
    /// Item n of a group's channel: queued when it is the next one (n = stored + 1); null when it is
    /// already stored (a resend) or ahead of a gap (an earlier item was lost on the way; the group
    /// resends from the first unconfirmed one, in order). The event holds a group message without
    /// its body; <see cref="AttachGroupBody"/> puts the body on the queued item in memory.
    /// </summary>
    public GroupItemQueued? DecideQueueGroupItem(QueueGroupItem command, long nowMs)
    {
        if (command.ItemNo != GroupItemsStored(command.GroupId) + 1)
        {
            return null;
        }

        var item = new QueuedItem
        {
            Seq = NextSeq,
            EnqueuedAtMs = nowMs,
            ClientMsgId = command.ClientMsgId,
            GroupId = command.GroupId,
            GroupItemNo = command.ItemNo,
        };
        if (command.ItemCase == QueueGroupItem.ItemOneofCase.Deliver)
        {
            item.Deliver = command.Deliver.Clone();
            item.Deliver.Seq = NextSeq;
            item.BodyInGroup = !command.Deliver.Body.IsEmpty;
            item.Deliver.Body = ByteString.Empty;
        }
        else
        {
            item.GroupInfo = command.Info.Clone();
            item.GroupInfo.Seq = NextSeq;
        }

        return new GroupItemQueued { Item = item };
    }

    /// <summary>Puts a group message's body on its queued item (in memory only; never journaled or snapshotted).</summary>
    public void AttachGroupBody(ulong seq, ByteString body)
    {
        if (Inbox.TryGetBySeq(seq, out var item) && item.ItemCase == QueuedItem.ItemOneofCase.Deliver)
        {
            item.Deliver.Body = body;
            if (body.IsEmpty)
            {
                item.BodyInGroup = false; // nothing to fetch
            }
        }
    }

    /// <summary>A queued group message whose body this queue does not hold (after a recovery): fetch it from the group.</summary>
    public static bool LacksGroupBody(QueuedItem item) => item.BodyInGroup && item.Deliver.Body.IsEmpty;

    /// <summary>Per group, the highest channel item number among the queued items up to <paramref name="upToSeq"/>.</summary>
    public Dictionary<string, ulong> GroupItemsUpTo(ulong upToSeq)
    {
        var progress = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var item in Inbox.Items)
        {
            if (item.Seq > upToSeq)
            {
                break;
            }

            if (item.GroupId.Length > 0)
            {
                progress[item.GroupId] = Math.Max(item.GroupItemNo, progress.GetValueOrDefault(item.GroupId));
            }
        }

        return progress;
    }

    private void ApplyGroupItem(GroupItemQueued queued)
    {
        // A copy: the event may still be on its way to the journal when the body is attached.
        var item = queued.Item.Clone();
        Enqueue(item);
        _groupItemsStored[item.GroupId] = item.GroupItemNo;
        if (item.ItemCase == QueuedItem.ItemOneofCase.Deliver)
        {
            Dedup.Add(new DedupEntry
            {
                Key = DedupWindow.GroupMessageKey(item.Deliver.From, item.GroupId, item.ClientMsgId),
                ServerMsgId = item.Deliver.ServerMsgId,
                ServerTimeMs = item.EnqueuedAtMs,
            });
        }
    }

    private static QueuedItem WithoutGroupBody(QueuedItem item)
    {
        if (!item.BodyInGroup || item.Deliver.Body.IsEmpty)
        {
            return item;
        }

        var stripped = item.Clone();
        stripped.Deliver.Body = ByteString.Empty;
        return stripped;
    }
}

