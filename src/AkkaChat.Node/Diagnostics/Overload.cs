using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using AkkaChat.Protocol;
using ProtocolError = AkkaChat.Protocol.Messages.Error;

namespace AkkaChat.Node.Diagnostics;

/// <summary>
/// The one rule of which failures mean "the node has more work than it can take on now" and are
/// answered ERROR{OVERLOADED, ref} (retry later, the connection stays open), and which are faults
/// answered ERROR{INTERNAL, ref}. Either way the request was not acknowledged.
/// <para>Overload, by cause (anywhere in the exception chain):</para>
/// <list type="bullet">
/// <item>the journal's write queue is full (<c>storage.journal.buffer-size</c>, Akka.Persistence.Sql
/// "the queue buffer was full");</item>
/// <item>the journal's circuit breaker is open (<see cref="OpenCircuitException"/>) or its call
/// timed out (<see cref="TimeoutException"/>): the write waited longer than the breaker allows;</item>
/// <item>an ask timed out (<see cref="AskTimeoutException"/>): the actor that owns the request
/// did not get to it in time.</item>
/// </list>
/// Anything else (the database refused the connection or the statement, a serializer failed) is a
/// fault: INTERNAL. See docs/protocol.md ("OVERLOADED with a ref").
/// </summary>
public static class Overload
{
    /// <summary>Whether <paramref name="cause"/> says the node or its journal is over capacity, not broken.</summary>
    public static bool IsCause(Exception? cause)
    {
        for (var depth = 0; cause is not null && depth < 8; depth++)
        {
            switch (cause)
            {
                case AskTimeoutException or TimeoutException or OpenCircuitException:
                    return true;
                case AggregateException { InnerExceptions.Count: > 0 } aggregate when aggregate.InnerExceptions.Any(IsCause):
                    return true;
            }

            if (cause.Message.Contains("queue buffer was full", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            cause = cause.InnerException;
        }

        return false;
    }

    /// <summary>
    /// The answer to a request refused because of <paramref name="cause"/>: OVERLOADED ("try again
    /// later") when it is overload and the request has a ref, INTERNAL with
    /// <paramref name="internalMessage"/> otherwise. A request without a ref (CONTACTS_SYNC,
    /// PRESENCE_SUBSCRIBE, a login) stays INTERNAL: OVERLOADED without a ref is the protocol's
    /// answer to a new connection at the limit and closes the connection
    /// (<see cref="ProtocolRules.ClosesConnection"/>).
    /// </summary>
    public static ProtocolError Refusal(Exception? cause, string internalMessage, string reference = "")
    {
        if (reference.Length > 0 && IsCause(cause))
        {
            return ProtocolError.Of(ErrorCode.Overloaded, OverloadedMessage, reference);
        }

        return ProtocolError.Of(ErrorCode.Internal, internalMessage, reference);
    }

    /// <summary>The message of every OVERLOADED answer to a request.</summary>
    public const string OverloadedMessage = "the node is overloaded; not stored, send it again later";
}

/// <summary>
/// Logs overload refusals at warning level, at most one line per <see cref="Interval"/> per actor
/// system with the count since the last line, instead of one line per refused request (an
/// overloaded node refuses thousands a second). The refusals themselves are counted, by code, in
/// <c>akkachat.errors.sent</c>.
/// </summary>
public sealed class OverloadLog : IExtension
{
    /// <summary>At most one warning line per this interval.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly ILoggingAdapter _log;
    private long _count;
    private long _nextLogAt = long.MinValue;

    public OverloadLog(ExtendedActorSystem system)
    {
        _log = Logging.GetLogger(system, "AkkaChat.Node.Overload");
    }

    public static OverloadLog Get(ActorSystem system) => system.WithExtension<OverloadLog, OverloadLogProvider>();

    /// <summary>Notes one refused request: <paramref name="what"/> names it and its cause, for the next line.</summary>
    public void Note(string what)
    {
        var count = Interlocked.Increment(ref _count);
        var now = Environment.TickCount64;
        var next = Volatile.Read(ref _nextLogAt);
        if (now < next || Interlocked.CompareExchange(ref _nextLogAt, now + (long)Interval.TotalMilliseconds, next) != next)
        {
            return;
        }

        Interlocked.Add(ref _count, -count);
        _log.Warning("Overloaded: {0} request(s) answered ERROR{{OVERLOADED}} since the last report (at most one report per {1}); latest: {2}", count, Interval, what);
    }
}

public sealed class OverloadLogProvider : ExtensionIdProvider<OverloadLog>
{
    public override OverloadLog CreateExtension(ExtendedActorSystem system) => new(system);
}
