using Akka.Actor;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Diagnostics;
using AkkaChat.Node.Management;
using AkkaChat.Protocol;

namespace AkkaChat.Node.Users;

/// <summary>
/// The user actor's part for operators: the status query behind <c>pbm ... akkachat user PHONE</c>
/// and the inbox figure of <c>akkachat stats</c>, the hops it adds to message traces (the
/// recipient's ACK, a DELIVERED receipt queued for the sender), and its journal write latency.
/// Nothing here changes the user's state or journal.
/// </summary>
public sealed partial class UserActor
{
    // When the last session of this incarnation ended (unix ms); 0 while none has ended yet.
    private long _lastSessionEndedAtMs;

    private NodeMetrics? _metrics;

    private NodeMetrics Metrics => _metrics ??= NodeMetrics.Get(Context.System);

    // The inbox size last added to the node's queued-items gauge: each actor adds the change of its
    // own queue after every message it handles and takes its share back when it stops, so the gauge
    // is the node's total without asking any actor.
    private int _countedQueued;

    private void CountQueued()
    {
        var now = _state.Inbox.Count;
        if (now != _countedQueued)
        {
            Interlocked.Add(ref Metrics.Gauges.QueuedItems, now - _countedQueued);
            _countedQueued = now;
        }
    }

    protected override bool AroundReceive(Receive receive, object message)
    {
        var handled = base.AroundReceive(receive, message);
        CountQueued();
        return handled;
    }

    /// <summary>
    /// Local only (sent by the management peer of the node that hosts the user's shard): the user's
    /// status; answered with <see cref="UserStatus"/>. Routed by the shard region, so it starts the
    /// user actor if it is not running (it then recovers its queue from the journal).
    /// </summary>
    public sealed record StatusQuery(string Phone) : IWithUserId
    {
        string IWithUserId.UserId => Phone;
    }

    /// <summary>
    /// One user's status: registered, the attached session (its actor path with the node's address,
    /// or null when offline), items queued and not yet acknowledged, receipts owed to senders, and
    /// when a session last ended (unix ms; 0 when none ended since this actor started).
    /// </summary>
    public sealed record UserStatus(string Phone, bool Registered, string? Session, long SessionSinceMs, int QueuedItems, int OutboxReceipts, long LastSessionEndedAtMs);

    private void HandleStatusQuery()
    {
        var address = Akka.Cluster.Cluster.Get(Context.System).SelfAddress;
        Sender.Tell(new UserStatus(
            _phone,
            _state.Registered,
            _session?.Path.ToStringWithAddress(_session.Path.Address.HasGlobalScope ? _session.Path.Address : address),
            _session is null ? 0 : _sessionLoggedInAtMs,
            _state.Inbox.Count,
            _state.Outbox.Count,
            _lastSessionEndedAtMs));
    }

    private void SessionEnded() => _lastSessionEndedAtMs = NowMs;

    /// <summary>Traces the acknowledgement of each message among the items up to <paramref name="upToSeq"/> (before they leave the queue).</summary>
    private void TraceAcknowledged(ulong upToSeq)
    {
        var trace = MessageTrace.Get(Context.System);
        foreach (var item in _state.Inbox.Items)
        {
            if (item.Seq > upToSeq)
            {
                break;
            }

            if (item.ItemCase == QueuedItem.ItemOneofCase.Deliver)
            {
                trace.Record(item.Deliver.ServerMsgId, $"acknowledged by {_phone} (ACK up to seq {upToSeq}); leaves the queue", Self);
            }
        }
    }

    /// <summary>Traces a receipt journaled in this (the sender's) queue.</summary>
    private void TraceReceiptQueued(QueuedItem item)
    {
        if (item.ItemCase == QueuedItem.ItemOneofCase.Receipt)
        {
            var receipt = item.Receipt;
            MessageTrace.Get(Context.System).Record(receipt.ServerMsgId, $"{((ReceiptStatus)receipt.Status).ToString().ToUpperInvariant()} receipt by {receipt.By} queued for {_phone} at seq {item.Seq}", Self);
        }
    }
}
