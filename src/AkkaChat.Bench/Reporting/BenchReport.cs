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

    public required MachineReport Machine { get; set; }

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

    /// <summary>True when the latency or backlog shows the offered rate was not sustained; <see cref="Saturation"/> says why.</summary>
    public bool Saturated => Saturation.Count > 0;

    /// <summary>Each reason the run counts as saturated (see docs/bench.md, "Saturation"); empty when it is not.</summary>
    public List<string> Saturation { get; } = [];

    /// <summary>
    /// True when the scenario's figures were judged with <see cref="Scenarios.SaturationRule"/> (one-to-one,
    /// latency-ladder, soak). False for scenarios with no offered rate to sustain: their <see cref="Saturated"/>
    /// false means "not judged", not "kept up".
    /// </summary>
    public bool SaturationJudged { get; set; }

    /// <summary>latency-ladder: one entry per offered rate.</summary>
    public List<LadderStepReport>? Ladder { get; set; }

    /// <summary>group-fanout, presence-storm and status-fanout: one entry per measured step.</summary>
    public List<FeatureStepReport>? FeatureSteps { get; set; }

    /// <summary>fuzz: what was sent and how the node came out of it.</summary>
    public FuzzSection? Fuzz { get; set; }

    /// <summary>soak: the samples of the run and the delivery check at its end.</summary>
    public SoakSection? Soak { get; set; }

    /// <summary>latency-ladder: the highest offered rate whose send-to-deliver p99 was at most 10 ms, null when none.</summary>
    public double? HighestRateWithinP99Target { get; set; }
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

    /// <summary>latency-ladder: the offered rates of the steps.</summary>
    public double[]? Steps { get; init; }

    public double? StepDurationSeconds { get; init; }

    /// <summary>The p50 bound of the saturation rule.</summary>
    public double SaturationP50Ms { get; init; }

    /// <summary>Nodes measured: started by the bench (--nodes) or given (--server a,b,c).</summary>
    public int Nodes { get; init; }

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

    /// <summary>group-fanout: the group sizes, one step each; messages per group; share of members offline while it sends.</summary>
    public int[]? GroupSizes { get; init; }

    public int? Messages { get; init; }

    public double? OfflineFraction { get; init; }

    /// <summary>presence-storm: watched users, watchers of each, offline/online cycles.</summary>
    public int? Targets { get; init; }

    public int? Watchers { get; init; }

    public int? Cycles { get; init; }

    /// <summary>status-fanout: mutual contacts of the poster, statuses posted.</summary>
    public int? Contacts { get; init; }

    public int? Statuses { get; init; }

    public int? Clients { get; init; }

    public int? MediaBytes { get; init; }

    public int? FilesPerClient { get; init; }
}

public sealed class NodeReport
{
    public required string Endpoint { get; init; }

    public int? Pid { get; init; }

    /// <summary>Every node process of a cluster, when known.</summary>
    public int[]? Pids { get; init; }

    /// <summary>Journal of a node the bench started: sqlite or postgresql.</summary>
    public string? Storage { get; init; }

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

    /// <summary>Load-generating processes counted (the bench itself, or its worker processes).</summary>
    public int LoadGeneratorProcesses { get; init; }

    /// <summary>Node processes counted: 1, or every node of a cluster whose process ids are known.</summary>
    public int NodeProcesses { get; init; }

    /// <summary>The phase CPU per message is measured over: run (the send window, one-to-one) or drain (offline-drain).</summary>
    public string? MeasuredPhase { get; init; }

    /// <summary>Wall-clock seconds of the measured phase, as the coordinator saw its edges (polled every 250 ms).</summary>
    public double? MeasuredWindowSeconds { get; init; }

    /// <summary>Node CPU seconds (utime + stime from /proc/&lt;pid&gt;/stat) in the measured phase only.</summary>
    public double? NodeSecondsInWindow { get; init; }

    public double? LoadGeneratorSecondsInWindow { get; init; }

    /// <summary>Messages delivered in the measured phase, the divisor of the per-message figure.</summary>
    public long? DeliveredInWindow { get; init; }

    /// <summary>Node CPU microseconds per delivered message (its SEND, storage, DELIVER, ACK, receipts), measured phase only.</summary>
    public double? NodeMicrosPerDeliveredMessage { get; init; }

    /// <summary>Cores the load generator kept busy in the measured phase; near the machine's core count it is the bottleneck.</summary>
    public double? LoadGeneratorCores { get; init; }

    /// <summary>Cores the node kept busy in the measured phase.</summary>
    public double? NodeCores { get; init; }

    /// <summary>Wall-clock seconds of the registrations of the setup.</summary>
    public double? LoginSeconds { get; init; }

    /// <summary>Node CPU seconds during the registrations.</summary>
    public double? NodeSecondsDuringLogins { get; init; }

    /// <summary>Users registered (AUTH_REQUEST_CODE + AUTH_VERIFY, which logs the device in).</summary>
    public long Logins { get; init; }

    /// <summary>Node CPU microseconds per registration-and-login.</summary>
    public double? NodeMicrosPerLogin { get; init; }
}

public sealed class ErrorsReport
{
    public long Total { get; init; }

    public SortedDictionary<string, long> ByCode { get; init; } = [];
}

/// <summary>One step of a latency-ladder: a fresh node (when the bench starts it) at one offered rate.</summary>
public sealed class LadderStepReport
{
    public double OfferedPerSecond { get; init; }

    public double DeliveredPerSecond { get; init; }

    public long Sent { get; init; }

    public long Delivered { get; init; }

    public double P50Ms { get; init; }

    public double P99Ms { get; init; }

    public double MaxMs { get; init; }

    public long Errors { get; init; }

    /// <summary>The step's errors by code (ERROR codes, lost connections, messages not delivered within the drain timeout).</summary>
    public SortedDictionary<string, long> ErrorsByCode { get; init; } = [];

    public string Endpoint { get; init; } = string.Empty;

    public CpuReport? Cpu { get; init; }

    public bool Saturated => Saturation.Count > 0;

    public List<string> Saturation { get; init; } = [];
}

/// <summary>
/// One measured step of a feature scenario: what was sent (messages, presence changes, statuses),
/// what was delivered (copies, PRESENCE notifications, STATUS_UPDATEs), over how long, at what
/// node CPU, and the step's headline latency.
/// </summary>
public sealed record FeatureStepReport
{
    public string Name { get; init; } = string.Empty;

    /// <summary>Group size (group-fanout), watchers (presence-storm) or contacts (status-fanout).</summary>
    public int Size { get; init; }

    /// <summary>Recipients connected while it was sent.</summary>
    public int Online { get; init; }

    /// <summary>Recipients offline while it was sent (they logged in and drained afterwards).</summary>
    public int Offline { get; init; }

    public long Sent { get; init; }

    /// <summary>SEND_ACKs of what was sent (group messages, statuses); 0 where nothing is acknowledged.</summary>
    public long Acknowledged { get; init; }

    public long Delivered { get; init; }

    public double Seconds { get; init; }

    public double DeliveredPerSecond { get; init; }

    public double? NodeCpuSeconds { get; init; }

    public double? LoadGeneratorCpuSeconds { get; init; }

    /// <summary>Node CPU of the whole step divided by everything it delivered.</summary>
    public double? NodeMicrosPerDelivered { get; init; }

    /// <summary>The measure of <see cref="BenchReport.LatencyMs"/> that P50Ms, P99Ms and MaxMs summarise.</summary>
    public string LatencyMeasure { get; init; } = string.Empty;

    public double P50Ms { get; init; }

    public double P99Ms { get; init; }

    public double MaxMs { get; init; }

    /// <summary>Further figures of the scenario (docs/bench.md).</summary>
    public SortedDictionary<string, double>? Extra { get; init; }
}

/// <summary>fuzz: the frames sent, how the node answered, and its state afterwards.</summary>
public sealed class FuzzSection
{
    /// <summary>Frames of the run the figures below count (the warm-up's are apart).</summary>
    public long Frames { get; set; }

    /// <summary>Fuzzed frames sent before the baseline heap was read (--warmup-frames).</summary>
    public long WarmupFrames { get; set; }

    /// <summary>ERROR{INTERNAL} answers during the warm-up.</summary>
    public long WarmupInternalErrors { get; set; }

    /// <summary>Frames sent of each kind (AkkaChat.Protocol.Fuzzing.FuzzKind), by name.</summary>
    public SortedDictionary<string, long> FramesByKind { get; set; } = new(StringComparer.Ordinal);

    public long Connections { get; set; }

    /// <summary>Connections the node closed (FIN) after their fuzzed frames.</summary>
    public long ClosedByNode { get; set; }

    /// <summary>Connections that ended with a reset, or whose write failed because the node had closed.</summary>
    public long Resets { get; set; }

    /// <summary>ERROR{INTERNAL} answers to fuzzed frames: the node failed on input instead of rejecting it.</summary>
    public long InternalErrors { get; set; }

    public double Seconds { get; set; }

    public double FramesPerSecond { get; set; }

    /// <summary>The node served a normal exchange (SEND, SEND_ACK, DELIVER, ACK) after the fuzzing.</summary>
    public bool ExchangeAfter { get; set; }

    public long? HeapBeforeBytes { get; set; }

    public long? HeapAfterBytes { get; set; }

    /// <summary>(after - before) / before of the heap after a full GC, in percent.</summary>
    public double? HeapGrowthPercent { get; set; }

    /// <summary>The heap after the run is within 10% of the baseline after the warm-up (issue 17's verdict).</summary>
    public bool? HeapWithinTenPercent { get; set; }

    public long? RssBeforeBytes { get; set; }

    public long? RssAfterBytes { get; set; }

    /// <summary>Node log lines at error level or naming an exception other than ProtocolException; null when the log is not known.</summary>
    public long? UnexpectedLogLines { get; set; }

    /// <summary>The first of those lines (at most 20).</summary>
    public List<string> UnexpectedLogSample { get; set; } = [];
}

/// <summary>soak: one sample per interval and the exactly-once check at the end.</summary>
public sealed class SoakSection
{
    public double SampleIntervalSeconds { get; set; }

    public List<SoakSample> Samples { get; set; } = [];

    public long Sent { get; set; }

    public long SendAcked { get; set; }

    /// <summary>SENDs answered with an ERROR, or not answered before the drain timeout (never acknowledged, so not owed).</summary>
    public long SendFailed { get; set; }

    /// <summary>SEND_ACKed messages whose recipient holds them after the final drain (distinct server_msg_id).</summary>
    public long DeliveredDistinct { get; set; }

    /// <summary>SEND_ACKed messages never delivered by the end of the final drain.</summary>
    public long Lost { get; set; }

    /// <summary>Messages the recipient holds twice after client dedup (by server_msg_id): the same SEND stored as two messages.</summary>
    public long Duplicates { get; set; }

    /// <summary>DELIVERs of a server_msg_id the client already had (redelivery after a reconnect), removed by client dedup.</summary>
    public long Redelivered { get; set; }

    public long Reads { get; set; }

    public long ReadReceipts { get; set; }

    public long Reconnects { get; set; }

    /// <summary>Messages that were queued for a user while it was offline and delivered at its next login.</summary>
    public long OfflineDelivered { get; set; }

    /// <summary>The SVG plot of memory and p99 over time, next to the JSON (file name only).</summary>
    public string? Plot { get; set; }
}

/// <summary>One soak sample: the node's memory, its journal, the open connections and the latency of the interval.</summary>
public sealed class SoakSample
{
    public double AtSeconds { get; set; }

    public long? RssBytes { get; set; }

    /// <summary>The node's managed heap after a full, compacting GC (its diagnostic heap file); null when the node has none (not started by the bench).</summary>
    public long? HeapBytes { get; set; }

    public long? JournalRows { get; set; }

    public int OpenConnections { get; set; }

    public long SendAckedInInterval { get; set; }

    public long DeliveredInInterval { get; set; }

    /// <summary>send -> DELIVER latency p99 of the messages delivered in the interval whose recipient was online when they were sent (ms); null when none was.</summary>
    public double? P99Ms { get; set; }
}
