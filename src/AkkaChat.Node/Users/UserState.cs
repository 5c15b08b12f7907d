using AkkaChat.Node.Contracts;
using AkkaChat.Node.Inbox;
using AkkaChat.Node.Registration;
using AkkaChat.Protocol.Messages;

namespace AkkaChat.Node.Users;

/// <summary>
/// The state of the one persistent user entity, composed of the module parts that journal events:
/// <see cref="RegistrationState"/> (Registration/) and <see cref="InboxState"/> (Inbox/). One entity,
/// one journal and one snapshot for all parts (docs/node.md, "Feature modules"): a part adds its
/// events to <see cref="Apply"/>'s routing and its fields to the snapshot. Sessions hold no durable
/// state and have no part here. Replaying the journal through <see cref="Apply"/> rebuilds the same state.
/// </summary>
public sealed partial class UserState
{
    /// <summary>Tokens kept per user by default (akkachat.auth.max-device-tokens): the newest devices win, the oldest token stops working.</summary>
    public const int DefaultMaxDeviceTokens = 8;

    public UserState(string phone, int dedupCapacity, int maxDeviceTokens = DefaultMaxDeviceTokens)
    {
        Phone = phone;
        Registration = new RegistrationState(maxDeviceTokens);
        Queue = new InboxState(dedupCapacity);
    }

    public string Phone { get; }

    /// <summary>The registration part: registered or not, device tokens.</summary>
    public RegistrationState Registration { get; }

    /// <summary>The inbox part: queued items, dedup window, receipt outbox.</summary>
    public InboxState Queue { get; }

    // ---- the parts' state, read through the entity ----

    public int MaxDeviceTokens => Registration.MaxDeviceTokens;
    public bool Registered => Registration.Registered;
    public IReadOnlyList<DeviceToken> Tokens => Registration.Tokens;
    public ulong NextSeq => Queue.NextSeq;
    public ulong RemovedUpTo => Queue.RemovedUpTo;
    public InboxQueue Inbox => Queue.Inbox;
    public DedupWindow Dedup => Queue.Dedup;
    public IReadOnlyCollection<OutboxEntry> Outbox => Queue.Outbox;
    public ulong NextOutboxId => Queue.NextOutboxId;
    public ulong ExpiredTotal => Queue.ExpiredTotal;

    // ---- decisions, made by the part that owns the rule ----

    public DeviceTokenIssued DecideIssueToken(byte[] tokenHash, string deviceName, long nowMs) =>
        Registration.DecideIssueToken(tokenHash, deviceName, nowMs);

    public bool HasToken(ReadOnlySpan<byte> tokenHash) => Registration.HasToken(tokenHash);

    public string LatestSession => Registration.LatestSession;

    public SessionLoggedIn DecideLogin(string session, long nowMs) => Registration.DecideLogin(session, nowMs);

    public MessageQueued? DecideSubmit(SubmitMessage command, string serverMsgId, long nowMs, out DedupEntry? duplicateOf) =>
        Queue.DecideSubmit(command, serverMsgId, nowMs, out duplicateOf);

    public ReceiptQueued? DecideStoreReceipt(StoreReceipt command, long nowMs) => Queue.DecideStoreReceipt(command, nowMs);

    public ItemsAcknowledged? DecideAcknowledge(ulong upToSeq, ulong deliveredUpTo, long nowMs) =>
        Queue.DecideAcknowledge(upToSeq, deliveredUpTo, nowMs);

    public ItemsAcknowledged? DecideAcknowledge(ulong upToSeq, ulong deliveredUpTo, long nowMs, out OutboxRange owed) =>
        Queue.DecideAcknowledge(upToSeq, deliveredUpTo, nowMs, out owed);

    public MessagesRead? DecideRead(string from, IEnumerable<string> serverMsgIds, long nowMs) =>
        Queue.DecideRead(from, serverMsgIds, nowMs);

    public MessagesRead? DecideRead(string from, IEnumerable<string> serverMsgIds, long nowMs, out OutboxRange owed) =>
        Queue.DecideRead(from, serverMsgIds, nowMs, out owed);

    public ItemsExpired? DecideExpire(long nowMs, long maxAgeMs, ulong upToSeq = ulong.MaxValue) => Queue.DecideExpire(nowMs, maxAgeMs, upToSeq);

    // ---- applying events: each goes to the part that owns it ----

    public void Apply(object @event)
    {
        if (RegistrationState.Handles(@event))
        {
            Registration.Apply(@event);
        }
        else if (InboxState.Handles(@event))
        {
            Queue.Apply(@event);
            if (@event is MessageQueued or ReceiptQueued)
            {
                Registration.MarkRegistered(); // only a registered user's queue accepts items
            }
        }
        else
        {
            throw new ArgumentException($"{@event.GetType().Name} is not a UserActor event", nameof(@event));
        }
    }

    // ---- snapshots: one for the entity, each part writes its own fields ----

    public UserSnapshot ToSnapshot()
    {
        var snapshot = new UserSnapshot();
        Registration.WriteTo(snapshot);
        Queue.WriteTo(snapshot);
        return snapshot;
    }

    public static UserState FromSnapshot(string phone, int dedupCapacity, UserSnapshot snapshot, int maxDeviceTokens = DefaultMaxDeviceTokens)
    {
        var state = new UserState(phone, dedupCapacity, maxDeviceTokens);
        state.Registration.ReadFrom(snapshot);
        state.Queue.ReadFrom(snapshot);
        return state;
    }
}
