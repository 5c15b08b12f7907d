using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AkkaChat.Bench.Load;

/// <summary>The scenarios a worker can drive.</summary>
public enum ScenarioKind
{
    IdleConnections,
    OneToOne,
    OfflineDrain,

    /// <summary>One-to-one at a series of offered rates, a fresh node per step (the coordinator's loop; workers run one-to-one).</summary>
    LatencyLadder,

    /// <summary>Feature scenarios: run by the coordinator in its own process (Features/), never by workers.</summary>
    GroupFanout,
    PresenceStorm,
    StatusFanout,

    /// <summary>Media over HTTP on the web port: uploads then downloads by many clients at once (Features/).</summary>
    Media,

    /// <summary>Fuzzed frames at a node, then a normal exchange, the heap after a GC and the node's log (Features/FuzzScenario.cs).</summary>
    Fuzz,

    /// <summary>Mixed traffic at a fixed rate for a long time, sampled every interval; nothing acknowledged lost (Features/SoakScenario.cs).</summary>
    Soak,
}

/// <summary>
/// One worker's share of a run: a contiguous range of users (whole pairs for the messaging
/// scenarios, so a sender and its recipient measure with one clock) and the scenario's settings.
/// </summary>
public sealed class WorkerPlan
{
    public required ScenarioKind Scenario { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>
    /// Every node of a cluster as host:port, or empty for the one node <see cref="Host"/>:<see cref="Port"/>.
    /// User i connects to entry i mod count, so a sender (even i) and its recipient (odd i) are on
    /// different nodes and every message crosses the cluster.
    /// </summary>
    public string[] Servers { get; init; } = [];

    /// <summary>Six digits that make this run's phone numbers unique on a node that has seen other runs.</summary>
    public required int PhonePrefix { get; init; }

    /// <summary>Index of the first user of this share; user i is <see cref="BenchPhones.Of"/>(prefix, i).</summary>
    public required int FirstUser { get; init; }

    public required int UserCount { get; init; }

    /// <summary>Registrations (and, in offline-drain, logins) in progress at once in this worker.</summary>
    public int Concurrency { get; init; } = 64;

    public double DurationSeconds { get; init; }

    /// <summary>one-to-one: seconds of sending before the measured run, whose figures are discarded.</summary>
    public double WarmupSeconds { get; init; }

    /// <summary>Messages per second this worker offers in total; null: flat out.</summary>
    public double? RatePerSecond { get; init; }

    public int BodyBytes { get; init; } = 64;

    /// <summary>SENDs per connection waiting for their SEND_ACK at most.</summary>
    public int MaxInFlight { get; init; } = 32;

    public int MessagesPerUser { get; init; }

    /// <summary>idle-connections: how far into the node's pipeline the connections reach.</summary>
    public IdleConnectionsLayer Layer { get; init; }

    /// <summary>How long, after sending stops, in-flight messages (or an offline-drain login) may take to arrive.</summary>
    public double DrainTimeoutSeconds { get; init; } = 60;
}

/// <summary>Live counters of a worker, polled by the coordinator for its progress display.</summary>
public sealed record WorkerProgress
{
    public WorkerPhase Phase { get; init; }

    public long RegisterTotal { get; init; }

    public long Registered { get; init; }

    public long Connected { get; init; }

    public long QueueTotal { get; init; }

    public long Queued { get; init; }

    public long Sent { get; init; }

    public long SendAcked { get; init; }

    public long Delivered { get; init; }

    public long DrainTotal { get; init; }

    public long Drained { get; init; }

    public long Errors { get; init; }
}

/// <summary>Phases of a worker, in the order they happen.</summary>
public enum WorkerPhase
{
    Idle,
    Register,
    Queue,
    Ready,
    Warmup,
    Run,
    Drain,
    Done,
}

/// <summary>What a worker measured; the coordinator adds the reports of all workers up.</summary>
public sealed class WorkerReport
{
    public int Users { get; init; }

    public long Registered { get; init; }

    /// <summary>Connections open and logged in when the report was made.</summary>
    public long Connected { get; init; }

    public long Queued { get; init; }

    public long Sent { get; init; }

    public long SendAcked { get; init; }

    public long SendFailed { get; init; }

    public long Delivered { get; init; }

    /// <summary>Deliveries that arrived before sending stopped; the throughput figure counts these.</summary>
    public long DeliveredInWindow { get; init; }

    /// <summary>Length of the sending window as this worker measured it.</summary>
    public double WindowSeconds { get; init; }

    /// <summary>one-to-one: the measured sending began to the last of its messages delivered.</summary>
    public double DeliverySeconds { get; init; }

    /// <summary>offline-drain: first login started to last queue drained.</summary>
    public double DrainWallSeconds { get; init; }

    /// <summary>offline-drain: recipients that log in to a queue.</summary>
    public long DrainTotal { get; init; }

    public long DrainedUsers { get; init; }

    public Dictionary<string, long> Errors { get; init; } = [];

    /// <summary>Latency histograms by measure (<see cref="Measures"/>), in microseconds.</summary>
    public Dictionary<string, HistogramData> Latencies { get; init; } = [];
}

/// <summary>Names of the latency measures.</summary>
public static class Measures
{
    /// <summary>SEND written by the sender to DELIVER read by the recipient.</summary>
    public const string SendToDeliver = "send_to_deliver";

    /// <summary>SEND written to its SEND_ACK read, at the sender.</summary>
    public const string SendToSendAck = "send_to_send_ack";

    /// <summary>offline-drain: login started to every queued message delivered and acknowledged.</summary>
    public const string Drain = "drain";
}

/// <summary>A histogram's recorded values and their counts (microseconds), lossless at the histogram's precision.</summary>
public sealed class HistogramData
{
    public long[] Values { get; init; } = [];

    public long[] Counts { get; init; } = [];
}

/// <summary>Line-delimited JSON between the coordinator and a worker process (one object per line).</summary>
public sealed class WorkerMessage
{
    // coordinator to worker
    public const string Setup = "setup";
    public const string Run = "run";
    public const string Stop = "stop";

    // worker to coordinator
    public const string ProgressType = "progress";
    public const string Ready = "ready";
    public const string Result = "result";
    public const string Stopped = "stopped";
    public const string Failed = "failed";

    public required string Type { get; init; }

    public WorkerPlan? Plan { get; init; }

    public WorkerProgress? Progress { get; init; }

    public WorkerReport? Report { get; init; }

    public string? Error { get; init; }
}

/// <summary>JSON settings shared by the worker channel and the result files: snake_case, enums as kebab-case text.</summary>
public static class BenchJson
{
    public static readonly JsonSerializerOptions Line = Create(indented: false);

    public static readonly JsonSerializerOptions File = Create(indented: true);

    private static JsonSerializerOptions Create(bool indented) => new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        WriteIndented = indented,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // files are read by people: keep ' and + as they are
    };
}

/// <summary>Phone numbers of a run's users: <c>+1</c>, six digits of run prefix, seven digits of user index.</summary>
public static class BenchPhones
{
    public const int MaxUsers = 10_000_000;

    public static string Of(int prefix, int index) => $"+1{prefix:D6}{index:D7}";
}
