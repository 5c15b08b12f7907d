using AkkaChat.Node.Contracts;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;

namespace AkkaChat.Node.Inbox;

/// <summary>
/// The inbox part's commands decided whole: each <c>Decide</c> returns the events to journal and
/// the effects (answers, receipts owed to senders, pushing) for <see cref="UserActor"/> to run,
/// so the actor never works out from the state what a change implies.
/// </summary>
public sealed partial class InboxState
{
    /// <summary>
    /// A SEND to this (registered) user: MessageQueued, then SEND_ACK and a push once durable; a
    /// duplicate (sender, client_msg_id) gets the first acceptance's SEND_ACK after the writes in
    /// flight; a lost write gets an ERROR with the client_msg_id as ref, never a SEND_ACK.
    /// </summary>
    public Decision Decide(SubmitMessage command, string serverMsgId, long nowMs)
    {
        if (DecideSubmit(command, serverMsgId, nowMs, out var duplicateOf) is not { } queued)
        {
            return Decision.Only(new ReplyAfterWrites(new SendAck { ClientMsgId = command.ClientMsgId, ServerMsgId = duplicateOf!.ServerMsgId, ServerTimeMs = duplicateOf.ServerTimeMs }));
        }

        return Decision.Of(
            queued,
            new Reply(new SendAck { ClientMsgId = command.ClientMsgId, ServerMsgId = serverMsgId, ServerTimeMs = nowMs }),
            PushItems.Instance,
            new ReplyIfNotStored("the message was not stored; send it again", command.ClientMsgId));
    }

    /// <summary>
    /// A receipt from another user's queue: ReceiptQueued, then ReceiptStored to that queue and a
    /// push once durable; a receipt already stored is confirmed again after the writes in flight.
    /// </summary>
    public Decision Decide(StoreReceipt command, long nowMs)
    {
        var stored = new ReceiptStored { Phone = command.By, OutboxId = command.OutboxId };
        return DecideStoreReceipt(command, nowMs) is { } queued
            ? Decision.Of(queued, new Reply(stored), PushItems.Instance)
            : Decision.Only(new ReplyAfterWrites(stored));
    }

    /// <summary>
    /// ACK{up_to_seq}, never beyond <paramref name="pushedUpTo"/> (what this incarnation pushed to
    /// some session of the user): ItemsAcknowledged, then the DELIVERED receipts it owes sent,
    /// the groups told, the items counted and pushing resumed. An ACK of nothing new decides nothing.
    /// </summary>
    public Decision Decide(AcknowledgeItems command, ulong pushedUpTo, long nowMs)
    {
        if (DecideAcknowledge(command.UpToSeq, pushedUpTo, nowMs, out var owed) is not { } acked)
        {
            return Decision.None;
        }

        return Decision.Of(
            acked,
            new TraceAcknowledged(acked.UpToSeq),
            new NotifyGroupsAcknowledged(GroupItemsUpTo(acked.UpToSeq)),
            new CountAcknowledged((long)(acked.UpToSeq - RemovedUpTo)),
            new SendReceipts(owed),
            PushItems.Instance);
    }

    /// <summary>
    /// READ of messages from one sender: an ERROR{NOT_FOUND, ref=server_msg_id} at once for each id
    /// that yields no receipt (docs/protocol.md; a ref longer than any server_msg_id is cut to 256),
    /// and MessagesRead with the READ receipts it owes sent once durable.
    /// </summary>
    public Decision Decide(MarkRead command, long nowMs)
    {
        var effects = new List<Effect>();
        foreach (var id in UnknownReads(command.From, command.ServerMsgIds))
        {
            effects.Add(new ReplyNow(Error.Of(ErrorCode.NotFound, $"no message with this id from {command.From} is remembered; no READ receipt is sent for it", id.Length <= 256 ? id : id[..256])));
        }

        if (DecideRead(command.From, command.ServerMsgIds, nowMs, out var owed) is not { } marked)
        {
            return effects.Count == 0 ? Decision.None : new Decision(Array.Empty<Google.Protobuf.IMessage>(), effects);
        }

        effects.Add(new SendReceipts(owed));
        return new Decision(new Google.Protobuf.IMessage[] { marked }, effects);
    }
}

/// <summary>Once durable: send the outbox receipts in <paramref name="Range"/> to their senders' queues (resent until confirmed).</summary>
public sealed record SendReceipts(OutboxRange Range) : Effect;

/// <summary>Once durable: push queued items to the session, up to its delivery window.</summary>
public sealed record PushItems : Effect
{
    public static readonly PushItems Instance = new();
}

/// <summary>Once durable: tell each group how far the member acknowledged its items (group id to item number).</summary>
public sealed record NotifyGroupsAcknowledged(Dictionary<string, ulong> UpTo) : Effect;

/// <summary>Once durable: count <paramref name="Items"/> acknowledged items in akkachat.items.acknowledged.</summary>
public sealed record CountAcknowledged(long Items) : Effect;

/// <summary>At once, while the items are still queued: record the acknowledgement of each message up to <paramref name="UpToSeq"/> in the message trace.</summary>
public sealed record TraceAcknowledged(ulong UpToSeq) : Effect, IRunsAtOnce;
