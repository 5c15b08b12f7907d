using AkkaChat.Node.Contracts;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;

namespace AkkaChat.Node.Inbox;

/// <summary>
/// The inbox part of a user entity: the queue of items for the user, the dedup window of what
/// was accepted, and the outbox of receipts owed to senders. Pure: decisions read the state and
/// return the event to journal with its effect (the outbox entries to send once durable);
/// <see cref="Apply"/> folds one event in. Mutable on purpose: a queue may hold thousands of
/// items and is changed once per event.
/// </summary>
public sealed partial class InboxState
{
    private readonly SortedDictionary<ulong, OutboxEntry> _outbox = new();

    public InboxState(int dedupCapacity) => Dedup = new DedupWindow(dedupCapacity);

    /// <summary>The seq the next queued item gets; seqs start at 1 and never repeat for a user.</summary>
    public ulong NextSeq { get; private set; } = 1;

    /// <summary>The highest seq that left the queue (acknowledged or expired); 0 before any.</summary>
    public ulong RemovedUpTo => NextSeq - 1 - (ulong)Inbox.Count;

    public InboxQueue Inbox { get; } = new();

    public DedupWindow Dedup { get; }

    /// <summary>Receipts this user owes to senders, until their queues confirm storing them.</summary>
    public IReadOnlyCollection<OutboxEntry> Outbox => _outbox.Values;

    public ulong NextOutboxId { get; private set; } = 1;

    /// <summary>Items dropped unacknowledged after the retention age, over the user's lifetime.</summary>
    public ulong ExpiredTotal { get; private set; }

    /// <summary>Whether this part folds <paramref name="event"/> in.</summary>
    public static bool Handles(object @event) =>
        @event is MessageQueued or ReceiptQueued or ItemsAcknowledged or MessagesRead or ReceiptsConfirmed or ItemsExpired
            or Groups.Contracts.GroupItemQueued or StatusUpdateQueued or StatusUpdatesExpired;

    /// <summary>
    /// A SEND to this user. Returns the event to journal, or null with the earlier acceptance in
    /// <paramref name="duplicateOf"/> when (sender, client_msg_id) was seen before.
    /// </summary>
    public MessageQueued? DecideSubmit(SubmitMessage command, string serverMsgId, long nowMs, out DedupEntry? duplicateOf)
    {
        if (Dedup.TryGet(DedupWindow.MessageKey(command.From, command.ClientMsgId), out var seen))
        {
            duplicateOf = seen;
            return null;
        }

        duplicateOf = null;
        return new MessageQueued
        {
            Item = new QueuedItem
            {
                Seq = NextSeq,
                EnqueuedAtMs = nowMs,
                ClientMsgId = command.ClientMsgId,
                Deliver = new Deliver
                {
                    Seq = NextSeq,
                    ServerMsgId = serverMsgId,
                    From = command.From,
                    Kind = command.Kind,
                    Body = command.Body,
                    MediaId = command.MediaId,
                    SentAtMs = nowMs,
                },
            },
        };
    }

    /// <summary>A receipt for this user; null when this exact receipt is already stored.</summary>
    public ReceiptQueued? DecideStoreReceipt(StoreReceipt command, long nowMs)
    {
        if (Dedup.TryGet(DedupWindow.ReceiptKey(command.By, command.ServerMsgId, command.Status), out _))
        {
            return null;
        }

        return new ReceiptQueued
        {
            Item = new QueuedItem
            {
                Seq = NextSeq,
                EnqueuedAtMs = nowMs,
                Receipt = new Receipt
                {
                    Seq = NextSeq,
                    ServerMsgId = command.ServerMsgId,
                    ClientMsgId = command.ClientMsgId,
                    Status = command.Status,
                    By = command.By,
                    AtMs = command.AtMs,
                    GroupId = command.GroupId,
                },
            },
        };
    }

    /// <summary>
    /// ACK{up_to_seq} when items up to <paramref name="deliveredUpTo"/> have been pushed to the user.
    /// Only items actually sent can be acknowledged; an ACK of nothing new yields no event.
    /// </summary>
    public ItemsAcknowledged? DecideAcknowledge(ulong upToSeq, ulong deliveredUpTo, long nowMs) =>
        DecideAcknowledge(upToSeq, deliveredUpTo, nowMs, out _);

    /// <summary>
    /// As <see cref="DecideAcknowledge(ulong, ulong, long)"/>, with its effect: <paramref name="owed"/>,
    /// the outbox entries (DELIVERED receipts for the senders) that applying the event adds.
    /// </summary>
    public ItemsAcknowledged? DecideAcknowledge(ulong upToSeq, ulong deliveredUpTo, long nowMs, out OutboxRange owed)
    {
        owed = OutboxRange.Empty;
        var effective = Math.Min(upToSeq, deliveredUpTo);
        if (Inbox.Count == 0 || effective < Inbox.FirstSeq)
        {
            return null;
        }

        ulong delivers = 0;
        foreach (var item in Inbox.Items)
        {
            if (item.Seq > effective)
            {
                break;
            }

            if (item.ItemCase == QueuedItem.ItemOneofCase.Deliver)
            {
                delivers++;
            }
        }

        owed = new OutboxRange(NextOutboxId, NextOutboxId + delivers - 1);
        return new ItemsAcknowledged { UpToSeq = effective, AtMs = nowMs };
    }

    /// <summary>
    /// READ of messages from <paramref name="from"/>. Only ids this queue remembers delivering from
    /// that sender yield receipts, so a client cannot send READ receipts for messages it never got.
    /// </summary>
    public MessagesRead? DecideRead(string from, IEnumerable<string> serverMsgIds, long nowMs) =>
        DecideRead(from, serverMsgIds, nowMs, out _);

    /// <summary>As <see cref="DecideRead(string, IEnumerable{string}, long)"/>, with the outbox entries (READ receipts) applying it adds.</summary>
    public MessagesRead? DecideRead(string from, IEnumerable<string> serverMsgIds, long nowMs, out OutboxRange owed)
    {
        owed = OutboxRange.Empty;
        var read = new MessagesRead { From = from, AtMs = nowMs };
        foreach (var id in serverMsgIds)
        {
            if (Dedup.TryFindMessage(id, out var sender, out _) && sender == from)
            {
                read.ServerMsgIds.Add(id);
            }
        }

        if (read.ServerMsgIds.Count == 0)
        {
            return null;
        }

        owed = new OutboxRange(NextOutboxId, NextOutboxId + (ulong)read.ServerMsgIds.Count - 1);
        return read;
    }

    /// <summary>
    /// The ids of a READ that yield no receipt: not among the messages from <paramref name="from"/>
    /// the dedup window remembers (older than the window, from another sender, or never received).
    /// Each once, in the order given.
    /// </summary>
    public IReadOnlyList<string> UnknownReads(string from, IEnumerable<string> serverMsgIds)
    {
        List<string>? unknown = null;
        foreach (var id in serverMsgIds)
        {
            if (!(Dedup.TryFindMessage(id, out var sender, out _) && sender == from) && !(unknown?.Contains(id) ?? false))
            {
                (unknown ??= new List<string>()).Add(id);
            }
        }

        return unknown ?? (IReadOnlyList<string>)Array.Empty<string>();
    }

    /// <summary>
    /// Items older than <paramref name="maxAgeMs"/>, dropped from the front of the queue, none past
    /// <paramref name="upToSeq"/> (the actor passes the highest seq already in the journal, so an
    /// expiry never overtakes the event that queued the item). Stops at the first younger item:
    /// items are queued in seq order, so nothing younger is ever dropped.
    /// </summary>
    public ItemsExpired? DecideExpire(long nowMs, long maxAgeMs, ulong upToSeq = ulong.MaxValue)
    {
        ulong upTo = 0;
        uint count = 0;
        foreach (var item in Inbox.Items)
        {
            if (item.Seq > upToSeq || nowMs - item.EnqueuedAtMs < maxAgeMs)
            {
                break;
            }

            upTo = item.Seq;
            count++;
        }

        return count == 0 ? null : new ItemsExpired { UpToSeq = upTo, Count = count };
    }

    public void Apply(object @event)
    {
        ApplyOwnChange(@event);
        RemoveConfirmed(@event is ReceiptsConfirmed confirmed ? confirmed.OutboxIds : ConfirmationsCarriedBy(@event));
    }

    /// <summary>The confirmed_outbox_ids of the events that carry receipt confirmations; null for any other event.</summary>
    private static Google.Protobuf.Collections.RepeatedField<ulong>? ConfirmationsCarriedBy(object @event) => @event switch
    {
        MessageQueued e => e.ConfirmedOutboxIds,
        ReceiptQueued e => e.ConfirmedOutboxIds,
        ItemsAcknowledged e => e.ConfirmedOutboxIds,
        MessagesRead e => e.ConfirmedOutboxIds,
        _ => null,
    };

    /// <summary>
    /// Puts <paramref name="confirmedOutboxIds"/> into <paramref name="event"/> when it can carry
    /// them (the events with confirmed_outbox_ids); false when it cannot and they need an event of their own.
    /// </summary>
    public static bool TryCarryConfirmations(object @event, IEnumerable<ulong> confirmedOutboxIds)
    {
        var carrier = ConfirmationsCarriedBy(@event);
        carrier?.Add(confirmedOutboxIds);
        return carrier is not null;
    }

    private void RemoveConfirmed(IEnumerable<ulong>? outboxIds)
    {
        if (outboxIds is null)
        {
            return;
        }

        foreach (var id in outboxIds)
        {
            _outbox.Remove(id);
        }
    }

    private void ApplyOwnChange(object @event)
    {
        switch (@event)
        {
            case MessageQueued queued:
                Enqueue(queued.Item);
                Dedup.Add(new DedupEntry
                {
                    Key = DedupWindow.MessageKey(queued.Item.Deliver.From, queued.Item.ClientMsgId),
                    ServerMsgId = queued.Item.Deliver.ServerMsgId,
                    ServerTimeMs = queued.Item.EnqueuedAtMs,
                });
                break;
            case ReceiptQueued queued:
                Enqueue(queued.Item);
                var receipt = queued.Item.Receipt;
                Dedup.Add(new DedupEntry
                {
                    Key = DedupWindow.ReceiptKey(receipt.By, receipt.ServerMsgId, receipt.Status),
                    ServerMsgId = receipt.ServerMsgId,
                    ServerTimeMs = queued.Item.EnqueuedAtMs,
                });
                break;
            case ItemsAcknowledged acked:
                while (Inbox.Count > 0 && Inbox.FirstSeq <= acked.UpToSeq)
                {
                    var item = Inbox.Dequeue();
                    if (item.ItemCase == QueuedItem.ItemOneofCase.Deliver)
                    {
                        AddToOutbox(item.Deliver.From, item.Deliver.ServerMsgId, item.ClientMsgId, ReceiptStatus.Delivered, acked.AtMs, item.Deliver.GroupId);
                    }
                }

                break;
            case MessagesRead read:
                foreach (var id in read.ServerMsgIds)
                {
                    Dedup.TryFindMessage(id, out _, out var clientMsgId, out var groupId);
                    AddToOutbox(read.From, id, clientMsgId, ReceiptStatus.Read, read.AtMs, groupId);
                }

                break;
            case Groups.Contracts.GroupItemQueued queued:
                ApplyGroupItem(queued);
                break;
            case StatusUpdateQueued queued:
                ApplyStatusQueued(queued);
                break;
            case StatusUpdatesExpired statuses:
                ApplyStatusesExpired(statuses);
                break;
            case ReceiptsConfirmed:
                break; // its ids are removed with those the other events carry
            case ItemsExpired expired:
                while (Inbox.Count > 0 && Inbox.FirstSeq <= expired.UpToSeq)
                {
                    Inbox.Dequeue();
                    ExpiredTotal++;
                }

                break;
            default:
                throw new ArgumentException($"{@event.GetType().Name} is not an inbox event", nameof(@event));
        }
    }

    private void Enqueue(QueuedItem item)
    {
        Inbox.Enqueue(item);
        NextSeq = item.Seq + 1;
    }

    private void AddToOutbox(string to, string serverMsgId, string clientMsgId, ReceiptStatus status, long atMs, string groupId = "")
    {
        var id = NextOutboxId++;
        _outbox[id] = new OutboxEntry
        {
            Id = id,
            To = to,
            ServerMsgId = serverMsgId,
            ClientMsgId = clientMsgId,
            Status = (uint)status,
            AtMs = atMs,
            GroupId = groupId,
        };
    }

    public void WriteTo(UserSnapshot snapshot)
    {
        snapshot.NextSeq = NextSeq;
        snapshot.NextOutboxId = NextOutboxId;
        snapshot.ExpiredTotal = ExpiredTotal;
        snapshot.Items.AddRange(Inbox.Items.Select(WithoutGroupBody));
        snapshot.GroupItemsStored.Add(_groupItemsStored);
        snapshot.Dedup.AddRange(Dedup.Entries);
        snapshot.Outbox.AddRange(_outbox.Values);
    }

    public void ReadFrom(UserSnapshot snapshot)
    {
        NextSeq = snapshot.NextSeq == 0 ? 1 : snapshot.NextSeq;
        NextOutboxId = snapshot.NextOutboxId == 0 ? 1 : snapshot.NextOutboxId;
        ExpiredTotal = snapshot.ExpiredTotal;
        foreach (var (groupId, upTo) in snapshot.GroupItemsStored)
        {
            _groupItemsStored[groupId] = upTo;
        }

        foreach (var item in snapshot.Items)
        {
            Inbox.Enqueue(item);
        }

        foreach (var entry in snapshot.Dedup)
        {
            Dedup.Add(entry);
        }

        foreach (var entry in snapshot.Outbox)
        {
            _outbox[entry.Id] = entry;
        }
    }
}

/// <summary>
/// An effect of a decision: the outbox entries with ids <see cref="First"/> to <see cref="Last"/>
/// (receipts owed to senders) that applying its event adds, to be sent once the event is durable.
/// </summary>
public readonly record struct OutboxRange(ulong First, ulong Last)
{
    public static readonly OutboxRange Empty = new(1, 0);

    public bool IsEmpty => First > Last;
}
