using AkkaChat.Bench.Coordination;
using AkkaChat.Bench.Load;
using AkkaChat.Bench.Reporting;
using AkkaChat.TestKit;

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
        NodeProcess? nodeProcess = null;
        var workers = new List<IWorkerClient>();
        BenchReport? report = null;
        try
        {
            await ProgressDisplay.RunAsync(async progress =>
            {
                BenchNode node;
                if (options.StartNode)
                {
                    var starting = progress.Start("start node", 1);
                    var heapFile = Path.Combine(Path.GetTempPath(), $"akkachat-bench-heap-{Guid.NewGuid():N}");
                    nodeProcess = await NodeProcess.StartAsync(BenchNode.HoconFor(options, heapFile));
                    node = new BenchNode("127.0.0.1", nodeProcess.Port, nodeProcess.ProcessId, StartedByBench: true, heapFile);
                    starting.Complete($"pid {node.ProcessId} on {node.Endpoint}");
                }
                else
                {
                    BenchNode.TryParseServer(options.Server!, out var host, out var port);
                    node = new BenchNode(host, port, options.NodePid, StartedByBench: false);
                }

                var plans = BenchRun.Plan(options, node, Random.Shared.Next(100_000, 1_000_000));
                workers.AddRange(options.UsesWorkerProcesses
                    ? plans.Select((_, i) => (IWorkerClient)ChildProcessWorkerClient.Start(i))
                    : [new InProcessWorkerClient()]);
                report = NewReport(options, node, startedAt, commit, dirty, workers.Count);
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
            if (nodeProcess is { HasExited: true })
            {
                await Console.Error.WriteLineAsync($"the node exited with {nodeProcess.ExitCode}:\n{nodeProcess.Output}");
            }

            return 1;
        }
        finally
        {
            await Task.WhenAll(workers.Select(w => w.DisposeAsync().AsTask()));
            if (nodeProcess is not null)
            {
                await nodeProcess.DisposeAsync();
            }
        }
    }

    private static BenchReport NewReport(BenchOptions options, BenchNode node, DateTimeOffset startedAt, string commit, bool dirty, int processes)
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
                DurationSeconds = options.Scenario == ScenarioKind.OneToOne ? options.Duration.TotalSeconds : null,
                WarmupSeconds = options.Scenario == ScenarioKind.OneToOne ? options.Warmup.TotalSeconds : null,
                RatePerSecond = options.Scenario == ScenarioKind.OneToOne ? options.Rate : null,
                BodyBytes = messaging ? options.BodyBytes : null,
                MaxInFlight = messaging ? options.MaxInFlight : null,
                MessagesPerUser = options.Scenario == ScenarioKind.OfflineDrain ? options.MessagesPerUser : null,
                DrainTimeoutSeconds = options.DrainTimeout.TotalSeconds,
                SettleTimeoutSeconds = options.Scenario == ScenarioKind.IdleConnections ? options.SettleTimeout.TotalSeconds : null,
                Layer = options.Scenario == ScenarioKind.IdleConnections ? options.Layer.ToString().ToLowerInvariant() : null,
            },
            Node = new NodeReport
            {
                Endpoint = node.Endpoint,
                Pid = node.ProcessId,
                StartedByBench = node.StartedByBench,
                Assembly = node.StartedByBench ? Path.GetFullPath(NodeProcess.NodeAssembly) : null,
                Config = node.StartedByBench ? BenchNode.HoconFor(options, node.HeapFile ?? string.Empty) : null,
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

    public static string Of(ScenarioKind kind) => kind switch
    {
        ScenarioKind.IdleConnections => IdleConnections,
        ScenarioKind.OneToOne => OneToOne,
        ScenarioKind.OfflineDrain => OfflineDrain,
        _ => kind.ToString(),
    };
}
