using AkkaChat.Bench.Load;

namespace AkkaChat.Bench.Reporting;

/// <summary>
/// Everything one run measured, written as <c>&lt;scenario&gt;-&lt;utc timestamp&gt;.json</c> (snake_case)
/// and summarised in the markdown file and the final table. Sections a scenario does not measure are null.
/// </summary>
public sealed class BenchReport
{
    public required string Scenario { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset FinishedAt { get; set; }

    /// <summary>Short hash of the commit measured (<c>git rev-parse --short HEAD</c>), or "unknown".</summary>
    public required string Commit { get; init; }

    /// <summary>The working tree had uncommitted changes to tracked files.</summary>
    public bool CommitDirty { get; init; }

    public required MachineReport Machine { get; init; }

    public required OptionsReport Options { get; init; }

    public required NodeReport Node { get; init; }

    public required UsersReport Users { get; init; }

    public MessagesReport? Messages { get; set; }

    public DrainReport? Drain { get; set; }

    /// <summary>CPU used by the node and by the load generator during the measured step.</summary>
    public CpuReport? Cpu { get; set; }

    /// <summary>Latency percentiles in milliseconds, by measure (<see cref="Measures"/>).</summary>
    public Dictionary<string, LatencySummary> LatencyMs { get; set; } = [];

    public ErrorsReport Errors { get; set; } = new();

    public List<string> Notes { get; } = [];
}

public sealed class OptionsReport
{
    public string? Server { get; init; }

    public bool StartNode { get; init; }

    public int Users { get; init; }

    public int Workers { get; init; }

    /// <summary>Load-generating processes: the workers, or the bench process itself with --workers 0 or 1.</summary>
    public int WorkerProcesses { get; init; }

    public int Concurrency { get; init; }

    public double? DurationSeconds { get; init; }

    public double? WarmupSeconds { get; init; }

    /// <summary>Offered messages per second; null: flat out.</summary>
    public double? RatePerSecond { get; init; }

    public int? BodyBytes { get; init; }

    public int? MaxInFlight { get; init; }

    public int? MessagesPerUser { get; init; }

    public double DrainTimeoutSeconds { get; init; }

    public double? SettleTimeoutSeconds { get; init; }

    /// <summary>idle-connections: user, connection, stream or socket (how far the connections reach).</summary>
    public string? Layer { get; init; }
}

public sealed class NodeReport
{
    public required string Endpoint { get; init; }

    public int? Pid { get; init; }

    public bool StartedByBench { get; init; }

    /// <summary>The node program the bench started (its path shows the build configuration).</summary>
    public string? Assembly { get; init; }

    /// <summary>The HOCON layered over the node's defaults when the bench started the node.</summary>
    public string? Config { get; init; }

    /// <summary>Resident set size of the node process before the users connected.</summary>
    public long? RssBeforeBytes { get; set; }

    /// <summary>Resident set size of the node process after the run (idle-connections: with every user connected).</summary>
    public long? RssAfterBytes { get; set; }

    /// <summary>idle-connections: both readings were stable (3 samples 1 s apart) before the settle timeout.</summary>
    public bool? RssSettled { get; set; }

    /// <summary>idle-connections: (rss_after - rss_before) / connected.</summary>
    public long? BytesPerConnection { get; set; }

    /// <summary>idle-connections: managed heap after a full compacting GC, before the users connected.</summary>
    public long? HeapBeforeBytes { get; set; }

    /// <summary>idle-connections: managed heap after a full compacting GC, with every connection open.</summary>
    public long? HeapAfterBytes { get; set; }

    /// <summary>idle-connections: (heap_after - heap_before) / connected.</summary>
    public long? HeapBytesPerConnection { get; set; }
}

public sealed class UsersReport
{
    /// <summary>Users the run asked for (an odd last user of a pair scenario is left out).</summary>
    public int Requested { get; init; }

    public long Registered { get; set; }

    /// <summary>Connections open and logged in at the end of the run.</summary>
    public long Connected { get; set; }
}

public sealed class MessagesReport
{
    public long Sent { get; init; }

    public long SendAcked { get; init; }

    public long SendFailed { get; init; }

    public long Delivered { get; init; }

    /// <summary>Deliveries that arrived while senders were sending.</summary>
    public long DeliveredInWindow { get; init; }

    public double WindowSeconds { get; init; }

    public double SentPerSecond { get; init; }

    /// <summary>Throughput while sending: <see cref="DeliveredInWindow"/> / <see cref="WindowSeconds"/>.</summary>
    public double DeliveredPerSecond { get; init; }

    /// <summary>From the first SEND to the last DELIVER of the run (sending plus the time in-flight messages took).</summary>
    public double DeliverySeconds { get; init; }

    /// <summary>Throughput to the last delivery: <see cref="Delivered"/> / <see cref="DeliverySeconds"/>; near the
    /// figure above when the run is long against the latency, the better figure when the node builds a backlog.</summary>
    public double DeliveredPerSecondToLast { get; init; }
}

public sealed class DrainReport
{
    public long Recipients { get; init; }

    public int MessagesPerUser { get; init; }

    /// <summary>Messages stored for the offline recipients (SEND_ACKed).</summary>
    public long Queued { get; init; }

    public long Delivered { get; init; }

    public long DrainedUsers { get; init; }

    /// <summary>First login started to last queue drained.</summary>
    public double WallSeconds { get; init; }

    /// <summary><see cref="Delivered"/> / <see cref="WallSeconds"/>: the node's drain rate with every login at once.</summary>
    public double MessagesPerSecond { get; init; }

    /// <summary>One user's drain rate at the median: messages_per_user / p50 drain time.</summary>
    public double PerUserMessagesPerSecondP50 { get; init; }
}

public sealed class CpuReport
{
    /// <summary>The measured step (sending and draining, or the logins), wall-clock.</summary>
    public double WallSeconds { get; init; }

    /// <summary>CPU seconds the node process used in that time; null when its process id is unknown.</summary>
    public double? NodeSeconds { get; init; }

    /// <summary>CPU seconds the load-generating processes used in that time.</summary>
    public double LoadGeneratorSeconds { get; init; }
}

public sealed class ErrorsReport
{
    public long Total { get; init; }

    public SortedDictionary<string, long> ByCode { get; init; } = [];
}
