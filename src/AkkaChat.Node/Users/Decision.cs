using Google.Protobuf;

namespace AkkaChat.Node.Users;

/// <summary>
/// What a part of the user entity decided for one command: the events to journal, in order, and
/// the effects the actor runs for them. Deciding reads the state and changes nothing; the actor
/// applies each event as it journals it (so the next command decides on it at once) and runs the
/// effects (<see cref="UserActor"/>'s <c>Run</c>). An effect runs once every event of its decision
/// is durable, or at once when the decision has no events, unless its type says otherwise
/// (<see cref="IRunsAtOnce"/>, <see cref="ReplyAfterWrites"/>, <see cref="ReplyIfNotStored"/>).
/// </summary>
public sealed record Decision(IReadOnlyList<IMessage> Events, IReadOnlyList<Effect> Effects)
{
    /// <summary>Nothing to journal, nothing to do.</summary>
    public static readonly Decision None = new(Array.Empty<IMessage>(), Array.Empty<Effect>());

    /// <summary>One event and what to do once it is durable.</summary>
    public static Decision Of(IMessage @event, params Effect[] effects) => new(new[] { @event }, effects);

    /// <summary>No event: the effects run at once (or as their types say).</summary>
    public static Decision Only(params Effect[] effects) => new(Array.Empty<IMessage>(), effects);

    public bool IsNone => Events.Count == 0 && Effects.Count == 0;
}

/// <summary>An effect of a <see cref="Decision"/>: something the actor does besides journaling.</summary>
public abstract record Effect;

/// <summary>An effect run when the decision is made, before its events are written (a refusal, or one that reads the state before the events change it).</summary>
public interface IRunsAtOnce;

/// <summary>Answers the command's sender before anything is written: nothing this answer says waits for the journal.</summary>
public sealed record ReplyNow(IMessage Answer) : Effect, IRunsAtOnce;

/// <summary>Answers the command's sender once the decision's events are durable (at once when it has none).</summary>
public sealed record Reply(IMessage Answer) : Effect;

/// <summary>
/// Answers the command's sender once the journal writes already in flight are durable: the answer
/// to a duplicate, whose first copy may still be on its way to the journal, follows it in order.
/// </summary>
public sealed record ReplyAfterWrites(IMessage Answer) : Effect;

/// <summary>
/// When the decision's events are not stored (the journal failed or refused them), the sender gets
/// an ERROR instead of its answer: OVERLOADED when the journal is saturated, else INTERNAL with
/// <paramref name="Reason"/>; <paramref name="Reference"/> is the ERROR's ref (a SEND's client_msg_id).
/// </summary>
public sealed record ReplyIfNotStored(string Reason, string Reference = "") : Effect;
