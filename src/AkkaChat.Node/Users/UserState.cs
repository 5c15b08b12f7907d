using AkkaChat.Node.Contracts;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Node.Users;

/// <summary>
/// Everything a user's queue remembers, and the rules that change it, free of actors and I/O.
/// Decisions (<c>Decide*</c>) read the state and return the events to journal; <see cref="Apply"/>
/// folds one event in. Replaying the journal through <see cref="Apply"/> rebuilds the same state.
/// Mutable on purpose: a queue may hold thousands of items and is changed once per event.
/// </summary>
public sealed class UserState
{
    /// <summary>Tokens kept per user by default (akkachat.auth.max-device-tokens): the newest devices win, the oldest token stops working.</summary>
    public const int DefaultMaxDeviceTokens = 8;

    private readonly List<DeviceToken> _tokens = new();
    private readonly SortedDictionary<ulong, OutboxEntry> _outbox = new();

    public UserState(string phone, int dedupCapacity, int maxDeviceTokens = DefaultMaxDeviceTokens)
    {
        Phone = phone;
        MaxDeviceTokens = maxDeviceTokens;
        Dedup = new DedupWindow(dedupCapacity);
    }

    public string Phone { get; }

    /// <summary>Tokens kept: the newest devices win, the oldest token stops working.</summary>
    public int MaxDeviceTokens { get; }

    public bool Registered { get; private set; }

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

    public IReadOnlyList<DeviceToken> Tokens => _tokens;

    // ---- decisions ----

    public DeviceTokenIssued DecideIssueToken(byte[] tokenHash, string deviceName, long nowMs) =>
        new() { TokenHash = ByteString.CopyFrom(tokenHash), DeviceName = deviceName, AtMs = nowMs };

    public bool HasToken(ReadOnlySpan<byte> tokenHash)
    {
        foreach (var token in _tokens)
        {
            if (System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(token.TokenHash.Span, tokenHash))
            {
                return true;
            }
        }

        return false;
    }

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

    /// <summary>Items older than <paramref name="maxAgeMs"/>, dropped from the front of the queue.</summary>
    public ItemsExpired? DecideExpire(long nowMs, long maxAgeMs)
    {
        ulong upTo = 0;
        uint count = 0;
        foreach (var item in Inbox.Items)
        {
            if (nowMs - item.EnqueuedAtMs < maxAgeMs)
            {
                break;
            }

            upTo = item.Seq;
            count++;
        }

        return count == 0 ? null : new ItemsExpired { UpToSeq = upTo, Count = count };
    }

    // ---- applying events ----

    public void Apply(object @event)
    {
        switch (@event)
        {
            case UserRegistered:
                Registered = true;
                break;
            case DeviceTokenIssued issued:
                Registered = true;
                _tokens.Add(new DeviceToken { TokenHash = issued.TokenHash, DeviceName = issued.DeviceName, IssuedAtMs = issued.AtMs });
                if (_tokens.Count > MaxDeviceTokens)
                {
                    _tokens.RemoveAt(0);
                }

                break;
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
                        AddToOutbox(item.Deliver.From, item.Deliver.ServerMsgId, item.ClientMsgId, ReceiptStatus.Delivered, acked.AtMs);
                    }
                }

                break;
            case MessagesRead read:
                foreach (var id in read.ServerMsgIds)
                {
                    Dedup.TryFindMessage(id, out _, out var clientMsgId);
                    AddToOutbox(read.From, id, clientMsgId, ReceiptStatus.Read, read.AtMs);
                }

                break;
            case ReceiptsConfirmed confirmed:
                foreach (var id in confirmed.OutboxIds)
                {
                    _outbox.Remove(id);
                }

                break;
            case StatusUpdateQueued queued:
                Enqueue(queued.Item.Clone()); // its own copy: marking it expired must not touch the event being journaled
                Dedup.Add(new DedupEntry
                {
                    Key = StatusKey(queued.Item.StatusUpdate.StatusId),
                    ServerMsgId = queued.Item.StatusUpdate.StatusId,
                    ServerTimeMs = queued.Item.EnqueuedAtMs,
                });
                break;
            case StatusUpdatesExpired statuses:
                foreach (var seq in statuses.Seqs)
                {
                    if (Inbox.TryGetBySeq(seq, out var item))
                    {
                        item.Expired = true;
                    }
                }

                break;
            case ItemsExpired expired:
                while (Inbox.Count > 0 && Inbox.FirstSeq <= expired.UpToSeq)
                {
                    Inbox.Dequeue();
                    ExpiredTotal++;
                }

                break;
            default:
                throw new ArgumentException($"{@event.GetType().Name} is not a UserActor event", nameof(@event));
        }
    }

    private void Enqueue(QueuedItem item)
    {
        Registered = true;
        Inbox.Enqueue(item);
        NextSeq = item.Seq + 1;
    }

    private void AddToOutbox(string to, string serverMsgId, string clientMsgId, ReceiptStatus status, long atMs)
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
        };
    }

    // ---- snapshots ----

    public UserSnapshot ToSnapshot()
    {
        var snapshot = new UserSnapshot
        {
            Registered = Registered,
            NextSeq = NextSeq,
            NextOutboxId = NextOutboxId,
            ExpiredTotal = ExpiredTotal,
        };
        snapshot.Tokens.AddRange(_tokens);
        snapshot.Items.AddRange(Inbox.Items);
        snapshot.Dedup.AddRange(Dedup.Entries);
        snapshot.Outbox.AddRange(_outbox.Values);
        return snapshot;
    }

    public static UserState FromSnapshot(string phone, int dedupCapacity, UserSnapshot snapshot, int maxDeviceTokens = DefaultMaxDeviceTokens)
    {
        var state = new UserState(phone, dedupCapacity, maxDeviceTokens)
        {
            Registered = snapshot.Registered,
            NextSeq = snapshot.NextSeq == 0 ? 1 : snapshot.NextSeq,
            NextOutboxId = snapshot.NextOutboxId == 0 ? 1 : snapshot.NextOutboxId,
            ExpiredTotal = snapshot.ExpiredTotal,
        };
        state._tokens.AddRange(snapshot.Tokens);
        foreach (var item in snapshot.Items)
        {
            state.Inbox.Enqueue(item);
        }

        foreach (var entry in snapshot.Dedup)
        {
            state.Dedup.Add(entry);
        }

        foreach (var entry in snapshot.Outbox)
        {
            state._outbox[entry.Id] = entry;
        }

        return state;
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
