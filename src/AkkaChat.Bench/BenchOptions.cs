using AkkaChat.Bench.Load;

namespace AkkaChat.Bench;

/// <summary>The options of one bench run, as given on the command line (see docs/bench.md).</summary>
public sealed record BenchOptions
{
    /// <summary>
    /// Connections one load-generating process may hold: the machine allows 20,000 open files per
    /// process, and the runtime, pipes and log files need some of them.
    /// </summary>
    public const int MaxConnectionsPerProcess = 18_000;

    public required ScenarioKind Scenario { get; init; }

    /// <summary>host:port of a running node; null with <see cref="StartNode"/>.</summary>
    public string? Server { get; init; }

    /// <summary>Start a node process for the run, with <see cref="BenchNode.Hocon"/>.</summary>
    public bool StartNode { get; init; }

    /// <summary>Process id of the node given by <see cref="Server"/>, to read its memory.</summary>
    public int? NodePid { get; init; }

    public int Users { get; init; } = 100;

    /// <summary>Worker processes; 0 or 1 runs every connection inside the bench process.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Registrations (and offline-drain logins) in progress at once, over all workers.</summary>
    public int Concurrency { get; init; } = 64;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>one-to-one: sending before the measured run, to warm the node up; its figures are discarded.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.Zero;

    /// <summary>Offered messages per second over all senders; null: flat out.</summary>
    public double? Rate { get; init; }

    public int BodyBytes { get; init; } = 64;

    public int MaxInFlight { get; init; } = 32;

    public int MessagesPerUser { get; init; } = 100;

    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan SettleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>idle-connections: how far into the node's pipeline the connections reach.</summary>
    public IdleConnectionsLayer Layer { get; init; } = IdleConnectionsLayer.User;

    public string Out { get; init; } = Path.Combine("bench", "results");

    /// <summary>latency-ladder: the offered rates (messages/s over all senders), one step each.</summary>
    public IReadOnlyList<double> Steps { get; init; } = [500, 1_000, 2_500, 5_000, 10_000, 25_000];

    /// <summary>latency-ladder: how long each step sends.</summary>
    public TimeSpan StepDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A send-to-deliver p50 above this marks a run SATURATED (see <see cref="Scenarios.SaturationRule"/>).</summary>
    public TimeSpan SaturationP50 { get; init; } = Scenarios.SaturationRule.DefaultP50Bound;

    /// <summary>Journal of a node the bench starts: sqlite (the node's default) or postgresql.</summary>
    public string Storage { get; init; } = "sqlite";

    /// <summary>PostgreSQL connection string for a node the bench starts with --storage postgresql.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>Nodes the bench starts: 1, or a cluster of several (PostgreSQL journal, users spread over the nodes).</summary>
    public int Nodes { get; init; } = 1;

    /// <summary>
    /// How the bench's clients reach nodes it starts: <c>tcp</c> (the listen port) or <c>ws</c> (the
    /// WebSocket on the web port, one frame per binary message). With --server, each entry names its
    /// transport itself (<c>ws://host:port</c>).
    /// </summary>
    public string Transport { get; init; } = "tcp";

    /// <summary>HOCON lines (<c>key = value</c>) passed with --set to every node the bench starts, after its own settings.</summary>
    public IReadOnlyList<string> NodeSettings { get; init; } = [];

    /// <summary>group-fanout: the sizes of the groups (members, the sender included), one step each.</summary>
    public IReadOnlyList<int> GroupSizes { get; init; } = [8, 64, 256];

    /// <summary>group-fanout: messages the sender sends to each group.</summary>
    public int Messages { get; init; } = 50;

    /// <summary>group-fanout: share (0 to 1) of a group's other members that are offline while the sender sends.</summary>
    public double OfflineFraction { get; init; } = 0.25;

    /// <summary>presence-storm: users that go offline and online.</summary>
    public int Targets { get; init; } = 5;

    /// <summary>presence-storm: users watching every target.</summary>
    public int Watchers { get; init; } = 1_000;

    /// <summary>presence-storm: offline-then-online cycles of every target.</summary>
    public int Cycles { get; init; } = 5;

    /// <summary>status-fanout: the poster's mutual contacts.</summary>
    public int Contacts { get; init; } = 1_000;

    /// <summary>status-fanout: statuses the poster posts.</summary>
    public int Statuses { get; init; } = 5;

    /// <summary>media: clients uploading and then downloading at once.</summary>
    public int Clients { get; init; } = 100;

    /// <summary>media: bytes of each file.</summary>
    public int MediaBytes { get; init; } = 1 << 20;

    /// <summary>media: files each client uploads (one after another), then downloads.</summary>
    public int FilesPerClient { get; init; } = 4;

    /// <summary>fuzz: fuzzed frames to send in all.</summary>
    public long Frames { get; init; } = 1_000_000;

    /// <summary>
    /// fuzz: fuzzed frames sent before the baseline heap is read. The first fuzzing starts what a
    /// node starts once and keeps (a shard actor per shard of every region: 256 each, started as
    /// fuzzed frames name random users and groups; pooled buffers, log template caches); the
    /// verdict compares the heap after the run with the heap after this. 20,000 frames started
    /// about half of the shards, so the default is 100,000.
    /// </summary>
    public long WarmupFrames { get; init; } = 100_000;

    /// <summary>fuzz: connections fuzzing at once (each replaced by a fresh one after its batch).</summary>
    public int Parallel { get; init; } = 64;

    /// <summary>soak: how often RSS, heap, journal rows, connections and the interval's p99 are sampled.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>group-fanout, presence-storm, status-fanout, media, fuzz and soak: every connection in the bench process (Features/).</summary>
    public bool IsFeatureScenario => Scenario is ScenarioKind.GroupFanout or ScenarioKind.PresenceStorm or ScenarioKind.StatusFanout or ScenarioKind.Media
        or ScenarioKind.Fuzz or ScenarioKind.Soak;

    /// <summary>Users a feature scenario registers.</summary>
    public int FeatureUsers => Scenario switch
    {
        ScenarioKind.GroupFanout => GroupSizes.Sum(),
        ScenarioKind.PresenceStorm => Targets + Watchers,
        ScenarioKind.StatusFanout => Contacts + 1,
        ScenarioKind.Media => Clients,
        ScenarioKind.Fuzz => Features.FuzzScenario.Accounts,
        ScenarioKind.Soak => Users / 2 * 2,
        _ => 0,
    };

    /// <summary>Every entry of <see cref="Server"/> (a comma-separated list names the nodes of a cluster).</summary>
    public string[] ServerList => Server is null ? [] : Server.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>True when the workers run as child processes.</summary>
    public bool UsesWorkerProcesses => Workers >= 2;

    public int Shares => Math.Max(1, Workers);

    /// <summary>Users in pairs for the messaging scenarios, so an odd last user is left out.</summary>
    public int EffectiveUsers => IsFeatureScenario ? FeatureUsers : Scenario == ScenarioKind.IdleConnections ? Users : Users / 2 * 2;

    /// <summary>The first problem with these options, or null.</summary>
    public string? Validate()
    {
        if (StartNode == (Server is not null))
        {
            return "give either --server HOST:PORT or --start-node";
        }

        if (Server is not null && (ServerList.Length == 0 || ServerList.Any(s => !BenchNode.TryParseServer(s, out _, out _))))
        {
            return $"--server must be HOST:PORT or a comma-separated list of them, not '{Server}'";
        }

        if (Transport is not ("tcp" or "ws"))
        {
            return "--transport must be tcp or ws";
        }

        if (Transport == "ws" && !StartNode)
        {
            return "--transport ws applies to nodes the bench starts; with --server, write ws://HOST:PORT entries";
        }

        if (Scenario == ScenarioKind.IdleConnections && Layer is not IdleConnectionsLayer.User and not IdleConnectionsLayer.Connection
            && (Transport == "ws" || ServerList.Any(s => s.StartsWith("ws://", StringComparison.OrdinalIgnoreCase))))
        {
            return "--layer stream and socket hold plain TCP sockets: use them with --transport tcp";
        }

        if (Storage is not ("sqlite" or "postgresql"))
        {
            return "--storage must be sqlite or postgresql";
        }

        if (Storage == "postgresql" && string.IsNullOrWhiteSpace(ConnectionString))
        {
            return "--storage postgresql needs --connection-string";
        }

        if (Nodes < 1 || (Nodes > 1 && Storage != "postgresql"))
        {
            return "--nodes must be 1, or more with --storage postgresql (a cluster shares one journal)";
        }

        if (Steps.Count == 0 || Steps.Any(s => s <= 0) || StepDuration <= TimeSpan.Zero || SaturationP50 <= TimeSpan.Zero)
        {
            return "--steps must list positive rates; --step-duration and --saturation-p50 must be positive";
        }

        if (IsFeatureScenario && FeatureProblem() is { } feature)
        {
            return feature;
        }

        if (Users < 1 || Users > BenchPhones.MaxUsers)
        {
            return $"--users must be 1 to {BenchPhones.MaxUsers:N0}";
        }

        if (Scenario != ScenarioKind.IdleConnections && Users < 2)
        {
            return "--users must be at least 2: users send in pairs";
        }

        if (Workers < 0 || Concurrency < 1 || MaxInFlight < 1 || MessagesPerUser < 0)
        {
            return "--workers must be 0 or more; --concurrency and --max-in-flight at least 1; --messages-per-user 0 or more";
        }

        var perProcess = (EffectiveUsers + Shares - 1) / Shares;
        if (perProcess > MaxConnectionsPerProcess)
        {
            var needed = (EffectiveUsers + MaxConnectionsPerProcess - 1) / MaxConnectionsPerProcess;
            return $"{EffectiveUsers:N0} users over {Shares} worker(s) puts {perProcess:N0} connections in one process; "
                + $"a process holds fewer than 20,000 open files here: use --workers {Math.Max(2, needed)} or more";
        }

        if (BodyBytes < sizeof(long) || BodyBytes > 64_000)
        {
            return "--body-bytes must be 8 (the timestamp) to 64,000";
        }

        if (Rate is <= 0)
        {
            return "--rate must be positive; leave it out to send flat out";
        }

        if (Warmup < TimeSpan.Zero)
        {
            return "--warmup must not be negative";
        }

        if (Duration <= TimeSpan.Zero || DrainTimeout <= TimeSpan.Zero || SettleTimeout <= TimeSpan.Zero)
        {
            return "--duration, --drain-timeout and --settle-timeout must be positive";
        }

        return null;
    }

    private string? FeatureProblem()
    {
        if (Workers > 1)
        {
            return "group-fanout, presence-storm and status-fanout run every connection in the bench process: --workers must be 0 or 1";
        }

        if (ServerList.Length > 1 || Nodes > 1)
        {
            return "group-fanout, presence-storm and status-fanout measure one node: give one --server or --nodes 1";
        }

        if (GroupSizes.Count == 0 || GroupSizes.Any(s => s < 2) || Messages < 1 || OfflineFraction is < 0 or > 1)
        {
            return "--group-sizes must list sizes of at least 2; --messages at least 1; --offline-fraction 0 to 1";
        }

        if (Targets < 1 || Watchers < 1 || Cycles < 1 || Contacts < 1 || Statuses < 1)
        {
            return "--targets, --watchers, --cycles, --contacts and --statuses must be at least 1";
        }

        if (Scenario == ScenarioKind.Media && !StartNode)
        {
            return "media runs against the web port of a node the bench starts: use --start-node";
        }

        if (Clients < 1 || FilesPerClient < 1 || MediaBytes < 1 || MediaBytes > 64 << 20)
        {
            return "--clients and --files must be at least 1; --media-bytes 1 to 67,108,864 (the node's default akkachat.media.max-bytes)";
        }

        if (Scenario == ScenarioKind.Fuzz && (Frames < 1 || WarmupFrames < 0 || Parallel < 1 || Parallel > 1_000))
        {
            return "--frames must be at least 1, --warmup-frames at least 0; --parallel 1 to 1,000";
        }

        if (Scenario == ScenarioKind.Soak && (Users < 4 || SampleInterval <= TimeSpan.Zero || Rate is null or <= 0))
        {
            return "soak needs --users 4 or more, a positive --rate and a positive --sample-interval";
        }

        if (Contacts > 3_000)
        {
            return "--contacts must be at most 3,000: the poster syncs them in one CONTACTS_SYNC frame";
        }

        return FeatureUsers > MaxConnectionsPerProcess
            ? $"{FeatureUsers:N0} users is more connections than one process holds here ({MaxConnectionsPerProcess:N0})"
            : null;
    }
}
