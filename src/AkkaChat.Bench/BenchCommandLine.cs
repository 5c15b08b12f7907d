using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using AkkaChat.Bench.Coordination;
using AkkaChat.Bench.Load;
using AkkaChat.Bench.Scenarios;

namespace AkkaChat.Bench;

/// <summary>
/// The command line of akkachat-bench: one command per scenario, each with the options it uses, and
/// the hidden <c>worker</c> command the bench starts its worker processes with.
/// </summary>
public static class BenchCommandLine
{
    public const int UsageError = 2;

    private static readonly Option<string?> Server = new("--server") { Description = "HOST:PORT of a running node (it must reveal registration codes)" };
    private static readonly Option<bool> StartNode = new("--start-node") { Description = "Start a node process for the run, with settings for benchmarking" };
    private static readonly Option<int?> NodePid = new("--node-pid") { Description = "Process id of the --server node, to measure its memory" };
    private static readonly Option<int> Users = new("--users", "-n") { Description = "Users (N)", DefaultValueFactory = _ => 100 };
    private static readonly Option<int> Workers = new("--workers", "-w")
    {
        Description = "Worker processes holding the connections; 0 or 1: all in this process. One process holds fewer than 20,000 sockets",
        DefaultValueFactory = _ => 1,
    };

    private static readonly Option<int> Concurrency = new("--concurrency") { Description = "Registrations (and offline-drain logins) at once", DefaultValueFactory = _ => 64 };
    private static readonly Option<TimeSpan> Duration = new("--duration", "-d")
    {
        Description = "How long senders send (e.g. 20s, 2m, 500ms)",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
        CustomParser = ParseDuration,
    };

    private static readonly Option<TimeSpan> Warmup = new("--warmup")
    {
        Description = "Send this long before the measured run and discard its figures (warms the node up)",
        DefaultValueFactory = _ => TimeSpan.Zero,
        CustomParser = ParseDuration,
    };

    private static readonly Option<double?> Rate = new("--rate") { Description = "Offered messages per second over all senders; leave out to send flat out" };
    private static readonly Option<int> BodyBytes = new("--body-bytes") { Description = "SEND body size: 8 bytes of send timestamp plus padding", DefaultValueFactory = _ => 64 };
    private static readonly Option<int> MaxInFlight = new("--max-in-flight") { Description = "SENDs per sender waiting for SEND_ACK at most", DefaultValueFactory = _ => 32 };
    private static readonly Option<int> MessagesPerUser = new("--messages-per-user", "-m") { Description = "Messages queued for each offline recipient (M)", DefaultValueFactory = _ => 100 };
    private static readonly Option<TimeSpan> DrainTimeout = new("--drain-timeout")
    {
        Description = "How long in-flight messages, or one recipient's drain, may take",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(60),
        CustomParser = ParseDuration,
    };

    private static readonly Option<TimeSpan> SettleTimeout = new("--settle-timeout")
    {
        Description = "How long to wait for the node's memory to settle before each reading",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
        CustomParser = ParseDuration,
    };

    private static readonly Option<IdleConnectionsLayer> Layer = new("--layer")
    {
        Description = "How far the connections reach: user (logged in), connection (never authenticated), stream or socket (node diagnostic layers, --start-node only)",
        DefaultValueFactory = _ => IdleConnectionsLayer.User,
    };

    private static readonly Option<int> LadderUsers = new("--users", "-n") { Description = "Users (N): N/2 sender -> recipient pairs", DefaultValueFactory = _ => 2_000 };
    private static readonly Option<string> Steps = new("--steps") { Description = "Offered rates of the steps, messages/s, comma-separated", DefaultValueFactory = _ => "500,1000,2500,5000,10000,25000" };
    private static readonly Option<TimeSpan> StepDuration = new("--step-duration")
    {
        Description = "How long each step sends",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
        CustomParser = ParseDuration,
    };

    private static readonly Option<TimeSpan> SaturationP50 = new("--saturation-p50")
    {
        Description = "A send-to-deliver p50 above this marks the run SATURATED",
        DefaultValueFactory = _ => SaturationRule.DefaultP50Bound,
        CustomParser = ParseDuration,
    };

    private static readonly Option<string> Storage = new("--storage") { Description = "Journal of the node(s) the bench starts: sqlite or postgresql", DefaultValueFactory = _ => "sqlite" };
    private static readonly Option<string?> ConnectionString = new("--connection-string") { Description = "PostgreSQL connection string for --storage postgresql" };
    private static readonly Option<int> Nodes = new("--nodes") { Description = "Nodes the bench starts: 1, or a cluster (with --storage postgresql)", DefaultValueFactory = _ => 1 };
    private static readonly Option<string[]> NodeSet = new("--node-set")
    {
        Description = "A HOCON line (key = value) for every node the bench starts, passed as its --set; repeatable",
        AllowMultipleArgumentsPerToken = false,
        DefaultValueFactory = _ => [],
    };

    private static readonly Option<string> Transport = new("--transport")
    {
        Description = "How clients reach the node(s) the bench starts: tcp (the listen port) or ws (WebSocket on the web port)",
        DefaultValueFactory = _ => "tcp",
    };

    private static readonly Option<string> GroupSizes = new("--group-sizes") { Description = "Sizes of the groups (members, the sender included), one step each, comma-separated", DefaultValueFactory = _ => "8,64,256" };
    private static readonly Option<int> Messages = new("--messages") { Description = "Messages the sender sends to each group", DefaultValueFactory = _ => 50 };
    private static readonly Option<double> OfflineFraction = new("--offline-fraction") { Description = "Share (0 to 1) of a group's other members offline while the sender sends", DefaultValueFactory = _ => 0.25 };
    private static readonly Option<double?> GroupRate = new("--rate") { Description = "Messages per second the sender sends to a group (default 20)" };
    private static readonly Option<int> Targets = new("--targets") { Description = "Users that go offline and online", DefaultValueFactory = _ => 5 };
    private static readonly Option<int> Watchers = new("--watchers") { Description = "Users watching every target (address book + PRESENCE_SUBSCRIBE)", DefaultValueFactory = _ => 1_000 };
    private static readonly Option<int> Cycles = new("--cycles") { Description = "Offline-then-online cycles of every target", DefaultValueFactory = _ => 5 };
    private static readonly Option<int> Contacts = new("--contacts") { Description = "Mutual contacts of the poster", DefaultValueFactory = _ => 1_000 };
    private static readonly Option<int> Clients = new("--clients") { Description = "Clients uploading and downloading at once", DefaultValueFactory = _ => 100 };
    private static readonly Option<int> MediaBytes = new("--media-bytes") { Description = "Bytes of each file", DefaultValueFactory = _ => 1 << 20 };
    private static readonly Option<int> FilesPerClient = new("--files") { Description = "Files each client uploads one after another, then downloads", DefaultValueFactory = _ => 4 };
    private static readonly Option<int> Statuses = new("--statuses") { Description = "Statuses the poster posts, one after another", DefaultValueFactory = _ => 5 };

    private static readonly Option<long> Frames = new("--frames") { Description = "Fuzzed frames to send in all", DefaultValueFactory = _ => 1_000_000 };
    private static readonly Option<long> WarmupFrames = new("--warmup-frames") { Description = "Fuzzed frames sent before the baseline heap is read (what a node starts once: shards, pools)", DefaultValueFactory = _ => 100_000 };
    private static readonly Option<int> Parallel = new("--parallel") { Description = "Connections fuzzing at once", DefaultValueFactory = _ => 64 };
    private static readonly Option<TimeSpan> SampleInterval = new("--sample-interval")
    {
        Description = "How often the soak samples RSS, heap, journal rows, connections and p99",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
        CustomParser = ParseDuration,
    };

    private static readonly Option<string> Out = new("--out", "-o") { Description = "Directory for the JSON and markdown results", DefaultValueFactory = _ => Path.Combine("bench", "results") };

    public static RootCommand Create()
    {
        var root = new RootCommand("akkachat-bench: load generator and benchmarks for AkkaChat nodes (see docs/bench.md)");
        root.Subcommands.Add(Scenario(ScenarioNames.IdleConnections, ScenarioKind.IdleConnections,
            "Connect and log in N users, then measure the node's memory per idle connection", SettleTimeout, Layer));
        root.Subcommands.Add(Scenario(ScenarioNames.LatencyLadder, ScenarioKind.LatencyLadder,
            "One-to-one at each offered rate of --steps, a fresh node per step: p50 / p99 / delivered per step",
            Steps, StepDuration, BodyBytes, MaxInFlight, DrainTimeout));
        root.Subcommands.Add(Scenario(ScenarioNames.OneToOne, ScenarioKind.OneToOne,
            "N/2 pairs of online users send to each other for a duration; latency and throughput",
            Duration, Warmup, Rate, BodyBytes, MaxInFlight, DrainTimeout));
        root.Subcommands.Add(Scenario(ScenarioNames.OfflineDrain, ScenarioKind.OfflineDrain,
            "Queue M messages for each of N/2 offline users, then time each login until the queue is drained",
            MessagesPerUser, BodyBytes, MaxInFlight, DrainTimeout));

        root.Subcommands.Add(Scenario(ScenarioNames.GroupFanout, ScenarioKind.GroupFanout,
            "A group of each size of --group-sizes, some members offline: delivered copies/s, node CPU per copy, send -> deliver to the last member",
            GroupSizes, Messages, OfflineFraction, GroupRate, BodyBytes, DrainTimeout));
        root.Subcommands.Add(Scenario(ScenarioNames.PresenceStorm, ScenarioKind.PresenceStorm,
            "Many watchers of a few users going offline and online: notifications/s, node CPU per notification, latency",
            Targets, Watchers, Cycles, DrainTimeout));
        root.Subcommands.Add(Scenario(ScenarioNames.StatusFanout, ScenarioKind.StatusFanout,
            "A poster with many mutual contacts posts statuses: node CPU per STATUS_UPDATE delivered, latency",
            Contacts, Statuses, BodyBytes, DrainTimeout));
        root.Subcommands.Add(Scenario(ScenarioNames.Media, ScenarioKind.Media,
            "Clients upload files to POST /v1/media at once, then download them: MB/s each way, node CPU per MB, request latency",
            Clients, MediaBytes, FilesPerClient, DrainTimeout));

        root.Subcommands.Add(Scenario(ScenarioNames.Fuzz, ScenarioKind.Fuzz,
            "Fuzzed frames of every kind from many connections, then a normal exchange; heap after a GC before/after, RSS, unexpected log lines, frames/s",
            Frames, WarmupFrames, Parallel, DrainTimeout));
        root.Subcommands.Add(Scenario(ScenarioNames.Soak, ScenarioKind.Soak,
            "Mixed traffic (1:1, receipts/READ, reconnects, offline drains) at --rate for --duration, sampled every --sample-interval; lost and duplicate counts",
            Duration, Rate, BodyBytes, DrainTimeout, SampleInterval));

        var worker = new Command("worker", "Internal: a worker process, driven over stdin/stdout by the bench") { Hidden = true };
        worker.SetAction((_, cancellationToken) => WorkerHost.RunAsync(Console.In, Console.OpenStandardOutput(), cancellationToken));
        root.Subcommands.Add(worker);
        return root;
    }

    private static Command Scenario(string name, ScenarioKind kind, string description, params Option[] specific)
    {
        var command = new Command(name, description);
        var users = kind == ScenarioKind.LatencyLadder ? LadderUsers : Users;
        foreach (var option in new Option[] { Server, StartNode, NodePid, users, Workers, Concurrency, Out, SaturationP50, Storage, ConnectionString, Nodes, NodeSet, Transport }.Concat(specific))
        {
            command.Options.Add(option);
        }

        command.SetAction(async (result, cancellationToken) =>
        {
            // Options a scenario does not take keep the defaults of BenchOptions.
            var defaults = new BenchOptions { Scenario = kind };
            T Get<T>(Option<T> option, T fallback) => command.Options.Contains(option) ? result.GetValue(option)! : fallback;
            var options = defaults with
            {
                Server = result.GetValue(Server),
                StartNode = result.GetValue(StartNode),
                NodePid = result.GetValue(NodePid),
                Users = result.GetValue(users),
                Workers = result.GetValue(Workers),
                Concurrency = result.GetValue(Concurrency),
                Duration = Get(Duration, defaults.Duration),
                Warmup = Get(Warmup, defaults.Warmup),
                Rate = command.Options.Contains(GroupRate) ? result.GetValue(GroupRate) : Get(Rate, defaults.Rate),
                Messages = Get(Messages, defaults.Messages),
                OfflineFraction = Get(OfflineFraction, defaults.OfflineFraction),
                Targets = Get(Targets, defaults.Targets),
                Watchers = Get(Watchers, defaults.Watchers),
                Cycles = Get(Cycles, defaults.Cycles),
                Contacts = Get(Contacts, defaults.Contacts),
                Statuses = Get(Statuses, defaults.Statuses),
                Clients = Get(Clients, defaults.Clients),
                MediaBytes = Get(MediaBytes, defaults.MediaBytes),
                FilesPerClient = Get(FilesPerClient, defaults.FilesPerClient),
                Frames = Get(Frames, defaults.Frames),
                WarmupFrames = Get(WarmupFrames, defaults.WarmupFrames),
                Parallel = Get(Parallel, defaults.Parallel),
                SampleInterval = Get(SampleInterval, defaults.SampleInterval),
                BodyBytes = Get(BodyBytes, defaults.BodyBytes),
                MaxInFlight = Get(MaxInFlight, defaults.MaxInFlight),
                MessagesPerUser = Get(MessagesPerUser, defaults.MessagesPerUser),
                DrainTimeout = Get(DrainTimeout, defaults.DrainTimeout),
                SettleTimeout = Get(SettleTimeout, defaults.SettleTimeout),
                Layer = Get(Layer, defaults.Layer),
                Out = result.GetValue(Out)!,
                StepDuration = Get(StepDuration, defaults.StepDuration),
                SaturationP50 = result.GetValue(SaturationP50),
                Storage = result.GetValue(Storage)!,
                ConnectionString = result.GetValue(ConnectionString),
                Nodes = result.GetValue(Nodes),
                NodeSettings = result.GetValue(NodeSet) ?? [],
                Transport = result.GetValue(Transport)!,
            };
            if (command.Options.Contains(Steps))
            {
                var rates = new List<double>();
                foreach (var entry in result.GetValue(Steps)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!double.TryParse(entry, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate))
                    {
                        await Console.Error.WriteLineAsync($"akkachat-bench {name}: --steps must list rates like 500,1000,2500, not '{entry}'");
                        return UsageError;
                    }

                    rates.Add(rate);
                }

                options = options with { Steps = rates };
            }

            if (command.Options.Contains(GroupSizes))
            {
                var sizes = new List<int>();
                foreach (var entry in result.GetValue(GroupSizes)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!int.TryParse(entry, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                    {
                        await Console.Error.WriteLineAsync($"akkachat-bench {name}: --group-sizes must list sizes like 8,64,256, not '{entry}'");
                        return UsageError;
                    }

                    sizes.Add(size);
                }

                options = options with { GroupSizes = sizes };
            }

            if (options.Validate() is { } problem)
            {
                await Console.Error.WriteLineAsync($"akkachat-bench {name}: {problem}");
                return UsageError;
            }

            return await BenchCoordinator.RunAsync(options, cancellationToken);
        });
        return command;
    }

    /// <summary>A duration: a number with ms, s, m or h (20s, 2m, 500ms), or a plain number of seconds.</summary>
    public static TimeSpan ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (TryParseDuration(text, out var duration))
        {
            return duration;
        }

        result.AddError($"'{text}' is not a duration (examples: 20s, 2m, 500ms)");
        return default;
    }

    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var units = new (string Suffix, double Seconds)[] { ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), (string.Empty, 1) };
        foreach (var (suffix, seconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text.AsSpan(0, text.Length - suffix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                && value >= 0)
            {
                duration = TimeSpan.FromSeconds(value * seconds);
                return true;
            }
        }

        return false;
    }
}
