using AkkaChat.Node.Contracts;
using AkkaChat.Node.Users;
using AkkaChat.Protocol.Messages;

// The status module's part of a contact's queue: a STATUS_UPDATE is queued without its body (the
// body is stored once, in the status table), at most once per status id, and marked expired once.
namespace AkkaChat.Node.Inbox;

public sealed partial class InboxState
{
    /// <summary>Dedup key of a status queued here: a status id is queued at most once per user.</summary>
    public static string StatusKey(string statusId) => "s|" + statusId;

    /// <summary>A status of a mutual contact for this user; null when this status is queued here already.</summary>
    public StatusUpdateQueued? DecideQueueStatus(StatusUpdate update, long nowMs)
    {
        if (Dedup.TryGet(StatusKey(update.StatusId), out _))
        {
            return null;
        }

        var item = update.Clone();
        item.Seq = NextSeq;
        item.Body = Google.Protobuf.ByteString.Empty;
        return new StatusUpdateQueued { Item = new QueuedItem { Seq = NextSeq, EnqueuedAtMs = nowMs, StatusUpdate = item } };
    }

    /// <summary>
    /// QUEUE_STATUS to a registered user (<see cref="UserState.Decide(Statuses.QueueStatus, long)"/>
    /// answers an unregistered one): StatusUpdateQueued, then StatusQueued to the poster's side and a
    /// push once durable; a status already queued is answered after the writes in flight.
    /// </summary>
    public Decision Decide(Statuses.QueueStatus command, string phone, long nowMs)
    {
        var answer = new Statuses.StatusQueued { Phone = phone, StatusId = command.Update.StatusId };
        return DecideQueueStatus(command.Update, nowMs) is { } queued
            ? Decision.Of(queued, new Reply(answer), PushItems.Instance)
            : Decision.Only(new ReplyAfterWrites(answer));
    }

    /// <summary>Whether <paramref name="item"/> is a STATUS_UPDATE that must not be pushed at <paramref name="nowMs"/>.</summary>
    public static bool IsExpiredStatus(QueuedItem item, long nowMs) =>
        item.ItemCase == QueuedItem.ItemOneofCase.StatusUpdate && (item.Expired || item.StatusUpdate.ExpiresAtMs <= nowMs);

    /// <summary>
    /// The queued STATUS_UPDATEs with seqs up to <paramref name="upToSeq"/> that are past their expiry
    /// and not yet marked: marked by the event, counted once. Null when there are none.
    /// </summary>
    public StatusUpdatesExpired? DecideExpireStatuses(long nowMs, ulong upToSeq)
    {
        StatusUpdatesExpired? expired = null;
        foreach (var item in Inbox.Items)
        {
            if (item.Seq > upToSeq)
            {
                break;
            }

            if (!item.Expired && IsExpiredStatus(item, nowMs))
            {
                (expired ??= new StatusUpdatesExpired()).Seqs.Add(item.Seq);
            }
        }

        return expired;
    }

    private void ApplyStatusQueued(StatusUpdateQueued queued)
    {
        Enqueue(queued.Item.Clone()); // its own copy: marking it expired must not touch the event being journaled
        Dedup.Add(new DedupEntry
        {
            Key = StatusKey(queued.Item.StatusUpdate.StatusId),
            ServerMsgId = queued.Item.StatusUpdate.StatusId,
            ServerTimeMs = queued.Item.EnqueuedAtMs,
        });
    }

    private void ApplyStatusesExpired(StatusUpdatesExpired statuses)
    {
        foreach (var seq in statuses.Seqs)
        {
            if (Inbox.TryGetBySeq(seq, out var item))
            {
                item.Expired = true;
            }
        }
    }
}
