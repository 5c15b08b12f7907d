using AkkaChat.Bench.Coordination;
using AkkaChat.Bench.Load;
using AkkaChat.Bench.Reporting;
using AkkaChat.Bench.Nodes;

namespace AkkaChat.Bench.Scenarios;

/// <summary>
/// Runs one scenario from start to end: the node (started, or the one given), the workers, the
/// scenario's steps under the progress display, then the table and the result files.
/// </summary>
public static class BenchCoordinator
{
    /// <summary>Exit codes: 0 the run completed (its errors are in the report), 1 the run could not complete, 130 interrupted.</summary>
    public static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var (commit, dirty) = GitCommit.Current();
        BenchNodes? nodes = null;
        var workers = new List<IWorkerClient>();
        BenchReport? report = null;
        try
        {
            await ProgressDisplay.RunAsync(async progress =>
            {
                if (options.Scenario == ScenarioKind.LatencyLadder)
                {
                    report = await LatencyLadderScenario.RunAsync(options, progress, startedAt, commit, dirty, cancellationToken);
                    return;
                }

                BenchNode node;
                if (options.StartNode)
                {
                    var starting = progress.Start(options.Nodes == 1 ? "start node" : $"start {options.Nodes} nodes", 1);
                    nodes = await BenchNodes.StartAsync(options);
                    node = nodes.Node;
                    starting.Complete($"pid {string.Join(",", node.ProcessIds)} on {node.Endpoint}");
                }
                else
                {
                    node = GivenNode(options);
                }

                if (options.IsFeatureScenario)
                {
                    report = NewReport(options, node, startedAt, commit, dirty, 1, nodes?.Hocon);
                    await Features.FeatureScenarios.RunAsync(new Features.FeatureRun(options, node, progress, report, cancellationToken));
                    return;
                }

                var plans = BenchRun.Plan(options, node, Random.Shared.Next(100_000, 1_000_000));
                workers.AddRange(StartWorkers(options, plans.Count));
                report = NewReport(options, node, startedAt, commit, dirty, workers.Count, nodes?.Hocon);
                var run = new BenchRun(options, node, plans, workers, progress, report, cancellationToken);
                await (options.Scenario switch
                {
                    ScenarioKind.IdleConnections => IdleConnectionsScenario.RunAsync(run),
                    ScenarioKind.OneToOne => OneToOneScenario.RunAsync(run),
                    ScenarioKind.OfflineDrain => OfflineDrainScenario.RunAsync(run),
                    _ => throw new BenchSetupException($"scenario {options.Scenario} is not available"),
                });
            });

            report!.FinishedAt = DateTimeOffset.UtcNow;
            report.Machine.LoadAverageAtEnd = ProcFile.LoadAverage();
            if (options.Users != options.EffectiveUsers)
            {
                report.Notes.Add($"Users send in pairs: the odd last user of {options.Users:N0} was left out.");
            }

            ReportOutput.WriteTable(report);
            var (json, markdown) = await ReportOutput.WriteFilesAsync(report, options.Out);
            Console.Out.WriteLine($"results: {json}");
            Console.Out.WriteLine($"summary: {markdown}");
            return 0;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("akkachat-bench: interrupted");
            return 130;
        }
        catch (Exception e) when (e is BenchSetupException or WorkerFailedException or TimeoutException or InvalidOperationException
            or System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync($"akkachat-bench: {e.Message}");
            if (nodes is not null && nodes.Processes.Any(n => n.HasExited))
            {
                await Console.Error.WriteLineAsync($"a node exited:\n{nodes.Output}");
            }

            return 1;
        }
        finally
        {
            await Task.WhenAll(workers.Select(w => w.DisposeAsync().AsTask()));
            if (nodes is not null)
            {
                await nodes.DisposeAsync();
            }
        }
    }

    /// <summary>The node (or cluster, for a comma-separated --server) the options name.</summary>
    public static BenchNode GivenNode(BenchOptions options)
    {
        var servers = options.ServerList;
        BenchNode.TryParseServer(servers[0], out var host, out var port);
        return servers.Length == 1
            ? new BenchNode(host, port, options.NodePid, StartedByBench: false)
            : new BenchNode(host, port, null, StartedByBench: false) { Servers = servers };
    }

    public static IEnumerable<IWorkerClient> StartWorkers(BenchOptions options, int plans) => options.UsesWorkerProcesses
        ? Enumerable.Range(0, plans).Select(i => (IWorkerClient)ChildProcessWorkerClient.Start(i)).ToList()
        : [new InProcessWorkerClient()];

    public static BenchReport NewReport(BenchOptions options, BenchNode node, DateTimeOffset startedAt, string commit, bool dirty, int processes, string? nodeHocon)
    {
        var messaging = options.Scenario != ScenarioKind.IdleConnections;
        return new BenchReport
        {
            Scenario = ScenarioNames.Of(options.Scenario),
            StartedAt = startedAt,
            Commit = commit,
            CommitDirty = dirty,
            Machine = MachineReport.Current(),
            Options = new OptionsReport
            {
                Server = options.Server,
                StartNode = options.StartNode,
                Users = options.Users,
                Workers = options.Workers,
                WorkerProcesses = processes,
                Concurrency = options.Concurrency,
                DurationSeconds = options.Scenario is ScenarioKind.OneToOne or ScenarioKind.Soak ? options.Duration.TotalSeconds : null,
                Steps = options.Scenario == ScenarioKind.LatencyLadder ? options.Steps.ToArray() : null,
                StepDurationSeconds = options.Scenario == ScenarioKind.LatencyLadder ? options.StepDuration.TotalSeconds : null,
                SaturationP50Ms = options.SaturationP50.TotalMilliseconds,
                Nodes = options.StartNode ? options.Nodes : options.ServerList.Length,
                WarmupSeconds = options.Scenario == ScenarioKind.OneToOne ? options.Warmup.TotalSeconds : null,
                RatePerSecond = options.Scenario is ScenarioKind.OneToOne or ScenarioKind.Soak ? options.Rate
                    : options.Scenario == ScenarioKind.GroupFanout ? options.Rate ?? Features.GroupFanoutScenario.DefaultRatePerGroup : null,
                BodyBytes = messaging ? options.BodyBytes : null,
                MaxInFlight = messaging ? options.MaxInFlight : null,
                MessagesPerUser = options.Scenario == ScenarioKind.OfflineDrain ? options.MessagesPerUser : null,
                DrainTimeoutSeconds = options.DrainTimeout.TotalSeconds,
                SettleTimeoutSeconds = options.Scenario == ScenarioKind.IdleConnections ? options.SettleTimeout.TotalSeconds : null,
                Layer = options.Scenario == ScenarioKind.IdleConnections ? options.Layer.ToString().ToLowerInvariant() : null,
                GroupSizes = options.Scenario == ScenarioKind.GroupFanout ? options.GroupSizes.ToArray() : null,
                Messages = options.Scenario == ScenarioKind.GroupFanout ? options.Messages : null,
                OfflineFraction = options.Scenario == ScenarioKind.GroupFanout ? options.OfflineFraction : null,
                Targets = options.Scenario == ScenarioKind.PresenceStorm ? options.Targets : null,
                Watchers = options.Scenario == ScenarioKind.PresenceStorm ? options.Watchers : null,
                Cycles = options.Scenario == ScenarioKind.PresenceStorm ? options.Cycles : null,
                Contacts = options.Scenario == ScenarioKind.StatusFanout ? options.Contacts : null,
                Statuses = options.Scenario == ScenarioKind.StatusFanout ? options.Statuses : null,
                Clients = options.Scenario == ScenarioKind.Media ? options.Clients : null,
                MediaBytes = options.Scenario == ScenarioKind.Media ? options.MediaBytes : null,
                FilesPerClient = options.Scenario == ScenarioKind.Media ? options.FilesPerClient : null,
            },
            Node = new NodeReport
            {
                Endpoint = node.Endpoint,
                Pid = node.ProcessId,
                Pids = node.ProcessIds.Count > 1 ? node.ProcessIds.ToArray() : null,
                Storage = node.StartedByBench ? options.Storage : null,
                StartedByBench = node.StartedByBench,
                Assembly = node.StartedByBench ? Path.GetFullPath(NodeLauncher.NodeAssembly) : null,
                Config = node.StartedByBench ? nodeHocon + string.Concat(options.NodeSettings.Select(l => l + "\n")) : null,
            },
            Users = new UsersReport { Requested = options.EffectiveUsers },
        };
    }
}

/// <summary>The command-line names of the scenarios.</summary>
public static class ScenarioNames
{
    public const string IdleConnections = "idle-connections";
    public const string OneToOne = "one-to-one";
    public const string OfflineDrain = "offline-drain";
    public const string GroupFanout = "group-fanout";
    public const string LatencyLadder = "latency-ladder";
    public const string PresenceStorm = "presence-storm";
    public const string StatusFanout = "status-fanout";
    public const string Media = "media";
    public const string Fuzz = "fuzz";
    public const string Soak = "soak";

    public static string Of(ScenarioKind kind) => kind switch
    {
        ScenarioKind.IdleConnections => IdleConnections,
        ScenarioKind.OneToOne => OneToOne,
        ScenarioKind.OfflineDrain => OfflineDrain,
        ScenarioKind.LatencyLadder => LatencyLadder,
        ScenarioKind.GroupFanout => GroupFanout,
        ScenarioKind.PresenceStorm => PresenceStorm,
        ScenarioKind.StatusFanout => StatusFanout,
        ScenarioKind.Media => Media,
        ScenarioKind.Fuzz => Fuzz,
        ScenarioKind.Soak => Soak,
        _ => kind.ToString(),
    };
}
