using System.Diagnostics.Metrics;
using Akka.Actor;

namespace AkkaChat.Node.Diagnostics;

/// <summary>
/// The metrics of one node (one actor system), published through its own .NET meter named
/// <see cref="MeterName"/> and tagged <c>node=NAME</c>: read them with
/// <c>dotnet-counters monitor -n AkkaChat.Node --counters AkkaChat.Node</c>, or at <c>/metrics</c>
/// (<see cref="Web.WebMetrics"/> exports this node's meter only). One instance per actor system,
/// so nodes running in one process (the in-process test clusters) never add their figures together.
/// Actors record with <c>NodeMetrics.Get(Context.System).X.Add(...)</c>; recording allocates nothing.
/// <para>The gauges (open connections, users online, queued items, shards, entities) are sampled by
/// <see cref="NodeGauges"/> and read here when a listener collects.</para>
/// </summary>
public sealed class NodeMetrics : IExtension, IDisposable
{
    public const string MeterName = "AkkaChat.Node";

    /// <summary>Bucket bounds, in seconds, of the latency histograms (1 ms to 10 s).</summary>
    public static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    public NodeMetrics(ExtendedActorSystem system)
    {
        NodeName = system.Settings.Config.GetString("akkachat.node-name", string.Empty) is { Length: > 0 } name ? name : system.Name;
        Meter = new Meter(new MeterOptions(MeterName) { Tags = [new KeyValuePair<string, object?>("node", NodeName)] });
        ConnectionsAccepted = Meter.CreateCounter<long>("akkachat.connections.accepted", description: "client connections accepted, by transport (tcp, websocket)");
        ConnectionsRefused = Meter.CreateCounter<long>("akkachat.connections.refused", description: "connections answered with OVERLOADED at the connection limit");
        Logins = Meter.CreateCounter<long>("akkachat.logins", description: "sessions logged in (AUTH_OK written)");
        FramesReceived = Meter.CreateCounter<long>("akkachat.frames.received", description: "client frames received, by type");
        ErrorsSent = Meter.CreateCounter<long>("akkachat.errors.sent", description: "ERROR frames written to clients, by code");
        MessagesQueued = Meter.CreateCounter<long>("akkachat.messages.queued", description: "messages journaled for their recipient (each got one SEND_ACK): messages accepted");
        ItemsDelivered = Meter.CreateCounter<long>("akkachat.items.delivered", description: "queued items pushed to their user's session (DELIVER and the other pushed frames)");
        ItemsAcknowledged = Meter.CreateCounter<long>("akkachat.items.acknowledged", description: "queued items acknowledged by their user and removed");
        ItemsExpired = Meter.CreateCounter<long>("akkachat.items.expired", description: "queued items dropped unacknowledged after akkachat.retention.max-age");
        StatusesExpired = Meter.CreateCounter<long>("akkachat.statuses.expired", description: "queued STATUS_UPDATEs that passed their expires_at_ms undelivered and were dropped");
        JournalFailures = Meter.CreateCounter<long>("akkachat.journal.failures", description: "journal writes of user actors that failed or were rejected");
        SupervisorFailures = Meter.CreateCounter<long>("akkachat.supervisor.failures", description: "child failures handled (restart or stop), by supervisor path");
        SendAckSeconds = Meter.CreateHistogram<double>("akkachat.send.ack.duration", unit: "s", description: "from a SEND read on the sender's connection to its SEND_ACK written",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        JournalWriteSeconds = Meter.CreateHistogram<double>("akkachat.journal.write.duration", unit: "s", description: "from a user actor's event handed to the journal to its write confirmed",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        Meter.CreateObservableGauge("akkachat.connections.open", () => new[]
        {
            new Measurement<long>(Gauges.TcpConnections, new KeyValuePair<string, object?>("transport", "tcp")),
            new Measurement<long>(Gauges.WebSocketConnections, new KeyValuePair<string, object?>("transport", "websocket")),
        }, description: "client connections open on this node, by transport");
        Meter.CreateObservableGauge("akkachat.users.online", () => Gauges.UsersOnline, description: "users with a logged-in connection on this node");
        Meter.CreateObservableGauge("akkachat.items.queued", () => Gauges.QueuedItems, description: "items queued (not yet acknowledged) in the user actors running on this node");
        Meter.CreateObservableGauge("akkachat.shards", () => Gauges.Shards, description: "user shards hosted by this node");
        Meter.CreateObservableGauge("akkachat.entities", () => Gauges.Entities, description: "user actors running on this node");
        Meter.CreateObservableGauge("akkachat.cluster.members", () => Gauges.UpMembers, description: "cluster members Up, as this node sees them");
        Meter.CreateObservableGauge("akkachat.cluster.unreachable", () => Gauges.UnreachableMembers, description: "cluster members this node cannot reach");
    }

    public static NodeMetrics Get(ActorSystem system) => system.WithExtension<NodeMetrics, NodeMetricsProvider>();

    public string NodeName { get; }

    /// <summary>This node's meter: listeners select on the instance, never on the name alone.</summary>
    public Meter Meter { get; }

    public Counter<long> ConnectionsAccepted { get; }
    public Counter<long> ConnectionsRefused { get; }
    public Counter<long> Logins { get; }
    public Counter<long> FramesReceived { get; }
    public Counter<long> ErrorsSent { get; }
    public Counter<long> MessagesQueued { get; }
    public Counter<long> ItemsDelivered { get; }
    public Counter<long> ItemsAcknowledged { get; }
    public Counter<long> ItemsExpired { get; }
    public Counter<long> StatusesExpired { get; }
    public Counter<long> JournalFailures { get; }
    public Counter<long> SupervisorFailures { get; }
    public Histogram<double> SendAckSeconds { get; }
    public Histogram<double> JournalWriteSeconds { get; }

    /// <summary>The journal write latencies of the last few thousand writes, for the p99 of <c>akkachat stats</c>.</summary>
    public LatencyWindow JournalWrites { get; } = new(4096);

    /// <summary>The sampled gauges (written by <see cref="NodeGauges"/>).</summary>
    public GaugeValues Gauges { get; } = new();

    /// <summary>Records one journal write of <paramref name="elapsed"/>.</summary>
    public void RecordJournalWrite(TimeSpan elapsed)
    {
        JournalWriteSeconds.Record(elapsed.TotalSeconds);
        JournalWrites.Add(elapsed);
    }

    public void Dispose() => Meter.Dispose();

    /// <summary>The last sampled values; each is written by one actor and read by collectors.</summary>
    public sealed class GaugeValues
    {
        public long TcpConnections;
        public long WebSocketConnections;
        public long UsersOnline;
        public long QueuedItems;
        public long Shards;
        public long Entities;
        public long UpMembers;
        public long UnreachableMembers;
    }
}

public sealed class NodeMetricsProvider : ExtensionIdProvider<NodeMetrics>
{
    public override NodeMetrics CreateExtension(ExtendedActorSystem system)
    {
        var metrics = new NodeMetrics(system);
        system.RegisterOnTermination(metrics.Dispose);
        return metrics;
    }
}

/// <summary>A ring of the last <c>capacity</c> latencies; <see cref="Percentile"/> sorts a copy (for operators, not hot paths).</summary>
public sealed class LatencyWindow(int capacity)
{
    private readonly long[] _ticks = new long[capacity];
    private readonly object _gate = new();
    private long _written;

    public void Add(TimeSpan elapsed)
    {
        lock (_gate)
        {
            _ticks[_written % _ticks.Length] = elapsed.Ticks;
            _written++;
        }
    }

    /// <summary>The <paramref name="p"/>-th percentile (0..100) of the samples kept, and how many there are; null when none.</summary>
    public (TimeSpan Value, int Samples)? Percentile(double p)
    {
        long[] copy;
        lock (_gate)
        {
            copy = _ticks[..(int)Math.Min(_written, _ticks.Length)];
        }

        if (copy.Length == 0)
        {
            return null;
        }

        Array.Sort(copy);
        var rank = (int)Math.Ceiling(p / 100 * copy.Length) - 1;
        return (TimeSpan.FromTicks(copy[Math.Clamp(rank, 0, copy.Length - 1)]), copy.Length);
    }
}
