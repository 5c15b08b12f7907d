using Akka.Actor;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Node.Management;

/// <summary>One step of a message on one node: when, where (node, actor), and what happened.</summary>
public sealed record TraceHop(string ServerMsgId, long AtUnixMs, string Node, string Actor, string What);

/// <summary>
/// The node's message trace buffer, for <c>akkachat msg trace ID</c>: the last
/// <c>akkachat.management.trace-buffer-hops</c> hops of every message through this node, in a ring
/// (older hops are overwritten, so a trace covers recent messages only). One per actor system, so
/// in-process test nodes keep separate buffers. Recording is one short lock and no I/O; actors call
/// <c>MessageTrace.Get(Context.System).Record(...)</c> at each hop.
/// </summary>
public sealed class MessageTrace : IExtension
{
    private readonly TraceHop?[] _hops;
    private readonly object _gate = new();
    private readonly string _node;
    private long _written;

    public MessageTrace(ExtendedActorSystem system)
    {
        var management = system.Settings.Config.GetConfig("akkachat.management");
        var capacity = management?.GetInt("trace-buffer-hops", 10_000) ?? 10_000;
        _hops = new TraceHop?[Math.Max(1, capacity)];
        _node = system.Settings.Config.GetString("akkachat.node-name", string.Empty) is { Length: > 0 } name
            ? name
            : system.Provider.DefaultAddress.ToString(); // any actor provider, so actors under test record too
    }

    public static MessageTrace Get(ActorSystem system) => system.WithExtension<MessageTrace, MessageTraceProvider>();

    public void Record(string serverMsgId, string what, IActorRef actor) =>
        Record(serverMsgId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), what, actor);

    /// <summary>Records a hop that happened at <paramref name="atUnixMs"/>, before its server_msg_id was known (a SEND read before its SEND_ACK).</summary>
    public void Record(string serverMsgId, long atUnixMs, string what, IActorRef actor)
    {
        var hop = new TraceHop(serverMsgId, atUnixMs, _node, Uri.UnescapeDataString(actor.Path.ToStringWithoutAddress()), what);
        lock (_gate)
        {
            _hops[_written % _hops.Length] = hop;
            _written++;
        }
    }

    /// <summary>Records the frames that carry a server_msg_id as a connection writes them to its client.</summary>
    public void RecordWritten(IMessage frame, IActorRef connection)
    {
        switch (frame)
        {
            case SendAck ack:
                Record(ack.ServerMsgId, "SEND_ACK written to the sender", connection);
                break;
            case Deliver deliver:
                Record(deliver.ServerMsgId, $"DELIVER seq {deliver.Seq} pushed to the recipient", connection);
                break;
            case Receipt receipt:
                Record(receipt.ServerMsgId, $"RECEIPT {receipt.Status} written to the sender", connection);
                break;
        }
    }

    public IReadOnlyList<TraceHop> Find(string serverMsgId)
    {
        lock (_gate)
        {
            return _hops.Where(h => h is not null && h.ServerMsgId == serverMsgId).Select(h => h!).OrderBy(h => h.AtUnixMs).ToList();
        }
    }
}

public sealed class MessageTraceProvider : ExtensionIdProvider<MessageTrace>
{
    public override MessageTrace CreateExtension(ExtendedActorSystem system) => new(system);
}
