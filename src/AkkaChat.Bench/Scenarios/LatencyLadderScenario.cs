using AkkaChat.Bench.Coordination;
using AkkaChat.Bench.Load;
using AkkaChat.Bench.Nodes;
using AkkaChat.Bench.Reporting;

namespace AkkaChat.Bench.Scenarios;

/// <summary>
/// latency-ladder: one-to-one over N/2 pairs at each offered rate of --steps, for --step-duration
/// each. With --start-node every step gets fresh node processes (a fresh data directory, so one
/// step's journal does not slow the next); against --server every step uses new phone numbers on
/// the same node(s). Each step reports p50 / p99 / delivered and its CPU; the run reports the highest
/// rate whose send-to-deliver p99 stayed within <see cref="P99TargetMs"/>.
/// </summary>
public static class LatencyLadderScenario
{
    public const double P99TargetMs = 10;

    public static async Task<BenchReport> RunAsync(BenchOptions options, IProgressSink progress, DateTimeOffset startedAt, string commit, bool dirty,
        CancellationToken cancellationToken)
    {
        var steps = new List<LadderStepReport>();
        var machineAtStart = MachineReport.Current();
        BenchReport? lastStep = null;
        string? hocon = null;
        BenchNode? firstNode = null;
        var processes = 0;
        foreach (var rate in options.Steps)
        {
            var stepOptions = options with { Scenario = ScenarioKind.OneToOne, Rate = rate, Duration = options.StepDuration, Warmup = TimeSpan.Zero };
            BenchNodes? nodes = null;
            var workers = new List<IWorkerClient>();
            try
            {
                BenchNode node;
                if (options.StartNode)
                {
                    var starting = progress.Start($"{rate:N0}/s: start {(options.Nodes == 1 ? "a fresh node" : $"{options.Nodes} fresh nodes")}", 1);
                    nodes = await BenchNodes.StartAsync(options);
                    node = nodes.Node;
                    hocon = nodes.Hocon;
                    starting.Complete($"pid {string.Join(",", node.ProcessIds)} on {node.Endpoint}");
                }
                else
                {
                    node = BenchCoordinator.GivenNode(options);
                }

                firstNode ??= node;
                var plans = BenchRun.Plan(stepOptions, node, Random.Shared.Next(100_000, 1_000_000));
                workers.AddRange(BenchCoordinator.StartWorkers(stepOptions, plans.Count));
                processes = workers.Count;
                var report = BenchCoordinator.NewReport(stepOptions, node, startedAt, commit, dirty, workers.Count, hocon);
                await OneToOneScenario.RunAsync(new BenchRun(stepOptions, node, plans, workers, progress, report, cancellationToken));
                steps.Add(Step(rate, report, node));
                lastStep = report;
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

        var ladder = BenchCoordinator.NewReport(options, firstNode!, startedAt, commit, dirty, processes, hocon);
        ladder.Machine = machineAtStart;
        ladder.Ladder = steps;
        ladder.HighestRateWithinP99Target = steps.Where(s => s.Delivered > 0 && s.P99Ms <= P99TargetMs).Select(s => (double?)s.OfferedPerSecond).Max();
        ladder.Users.Registered = lastStep!.Users.Registered;
        ladder.Users.Connected = lastStep.Users.Connected;
        var byCode = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (code, count) in steps.SelectMany(s => s.ErrorsByCode))
        {
            byCode[code] = byCode.GetValueOrDefault(code) + count;
        }

        ladder.Errors = new ErrorsReport { Total = steps.Sum(s => s.Errors), ByCode = byCode };
        ladder.Cpu = Sum(steps.Select(s => s.Cpu).OfType<CpuReport>().ToList());
        ladder.SaturationJudged = true;
        ladder.Saturation.AddRange(steps.SelectMany(s => s.Saturation.Select(r => $"at {s.OfferedPerSecond:N0}/s {r}")));
        ladder.Notes.Add($"Each step offers its rate over {options.EffectiveUsers / 2:N0} pairs for {options.StepDuration.TotalSeconds:0.#} s"
            + (options.StartNode ? " on fresh node processes (new data directory)." : " on the given node(s), with new phone numbers.")
            + $" Latency is send -> DELIVER from each SEND's scheduled time; p99 target {P99TargetMs:0} ms.");
        return ladder;
    }

    private static LadderStepReport Step(double rate, BenchReport report, BenchNode node)
    {
        var latency = report.LatencyMs.GetValueOrDefault(Measures.SendToDeliver);
        return new LadderStepReport
        {
            OfferedPerSecond = rate,
            DeliveredPerSecond = report.Messages?.DeliveredPerSecond ?? 0,
            Sent = report.Messages?.Sent ?? 0,
            Delivered = report.Messages?.Delivered ?? 0,
            P50Ms = latency?.P50 ?? 0,
            P99Ms = latency?.P99 ?? 0,
            MaxMs = latency?.Max ?? 0,
            Errors = report.Errors.Total,
            ErrorsByCode = report.Errors.ByCode,
            Endpoint = node.Endpoint,
            Cpu = report.Cpu,
            Saturation = [.. report.Saturation],
        };
    }

    /// <summary>The steps' CPU added up: per-message and per-login figures over all steps together.</summary>
    private static CpuReport? Sum(IReadOnlyList<CpuReport> cpu)
    {
        if (cpu.Count == 0)
        {
            return null;
        }

        double? SumOf(Func<CpuReport, double?> f) => cpu.All(c => f(c) is not null) ? Math.Round(cpu.Sum(c => f(c)!.Value), 3) : null;
        var nodeInWindow = SumOf(c => c.NodeSecondsInWindow);
        var delivered = cpu.Sum(c => c.DeliveredInWindow ?? 0);
        var nodeLogins = SumOf(c => c.NodeSecondsDuringLogins);
        var logins = cpu.Sum(c => c.Logins);
        var window = SumOf(c => c.MeasuredWindowSeconds);
        var loadInWindow = SumOf(c => c.LoadGeneratorSecondsInWindow);
        return new CpuReport
        {
            WallSeconds = Math.Round(cpu.Sum(c => c.WallSeconds), 3),
            NodeSeconds = SumOf(c => c.NodeSeconds),
            LoadGeneratorSeconds = Math.Round(cpu.Sum(c => c.LoadGeneratorSeconds), 3),
            LoadGeneratorProcesses = cpu[0].LoadGeneratorProcesses,
            NodeProcesses = cpu[0].NodeProcesses,
            MeasuredPhase = cpu[0].MeasuredPhase,
            MeasuredWindowSeconds = window,
            NodeSecondsInWindow = nodeInWindow,
            LoadGeneratorSecondsInWindow = loadInWindow,
            DeliveredInWindow = delivered,
            NodeMicrosPerDeliveredMessage = nodeInWindow is { } n && delivered > 0 ? Math.Round(n * 1e6 / delivered, 1) : null,
            LoadGeneratorCores = window is > 0 && loadInWindow is { } l ? Math.Round(l / window.Value, 2) : null,
            NodeCores = window is > 0 && nodeInWindow is { } nw ? Math.Round(nw / window.Value, 2) : null,
            LoginSeconds = SumOf(c => c.LoginSeconds),
            NodeSecondsDuringLogins = nodeLogins,
            Logins = logins,
            NodeMicrosPerLogin = nodeLogins is { } nl && logins > 0 ? Math.Round(nl * 1e6 / logins, 1) : null,
        };
    }
}
