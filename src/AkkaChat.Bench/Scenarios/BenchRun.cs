using System.Diagnostics;
using AkkaChat.Bench.Coordination;
using AkkaChat.Bench.Load;
using AkkaChat.Bench.Reporting;

namespace AkkaChat.Bench.Scenarios;

/// <summary>What the progress display shows of a phase.</summary>
public readonly record struct PhaseView(string Name, double Total, double Done, string Detail);

/// <summary>The workers' counters added up, with the time since their phase began and the recent delivery rate.</summary>
public readonly record struct WatchSample(WorkerProgress Sum, TimeSpan PhaseElapsed, double DeliveredPerSecond);

/// <summary>
/// The coordinator's side of one run: the node, the workers and their plans, the progress display
/// and the report being filled in. Scenarios drive it in steps (setup, run); each step goes to every
/// worker at once and is watched until all of them answer.
/// </summary>
public sealed class BenchRun(BenchOptions options, BenchNode node, IReadOnlyList<WorkerPlan> plans,
    IReadOnlyList<IWorkerClient> workers, IProgressSink progress, BenchReport report, CancellationToken cancellationToken)
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(250);

    public BenchOptions Options { get; } = options;

    public BenchNode Node { get; } = node;

    public IProgressSink Progress { get; } = progress;

    public BenchReport Report { get; } = report;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Splits the users over <paramref name="options"/>' workers: contiguous ranges, whole pairs for the messaging scenarios.</summary>
    public static IReadOnlyList<WorkerPlan> Plan(BenchOptions options, BenchNode node, int phonePrefix)
    {
        var unit = options.Scenario == ScenarioKind.IdleConnections ? 1 : 2;
        var units = options.EffectiveUsers / unit;
        var plans = new List<WorkerPlan>();
        for (var w = 0; w < options.Shares; w++)
        {
            var first = (int)((long)units * w / options.Shares);
            var last = (int)((long)units * (w + 1) / options.Shares);
            if (last == first)
            {
                continue;
            }

            plans.Add(new WorkerPlan
            {
                Scenario = options.Scenario,
                Host = node.Host,
                Port = node.Port,
                PhonePrefix = phonePrefix,
                FirstUser = first * unit,
                UserCount = (last - first) * unit,
                Concurrency = Math.Max(1, options.Concurrency / options.Shares),
                DurationSeconds = options.Duration.TotalSeconds,
                WarmupSeconds = options.Warmup.TotalSeconds,
                RatePerSecond = options.Rate * (last - first) / units,
                BodyBytes = options.BodyBytes,
                MaxInFlight = options.MaxInFlight,
                MessagesPerUser = options.MessagesPerUser,
                Layer = options.Layer,
                DrainTimeoutSeconds = options.DrainTimeout.TotalSeconds,
            });
        }

        return plans;
    }

    public Task<WorkerReport[]> SetupAsync(Func<WatchSample, PhaseView?> view) =>
        WatchAsync((worker, i) => worker.SetupAsync(plans[i], CancellationToken), view);

    /// <summary>The measured step: every worker runs; the CPU the node and the workers use meanwhile goes into the report.</summary>
    public async Task<WorkerReport[]> RunAsync(Func<WatchSample, PhaseView?> view)
    {
        var processes = workers.Select(w => w.ProcessId).Distinct().ToList();
        TimeSpan LoadCpu() => processes.Aggregate(TimeSpan.Zero, (sum, pid) => sum + (ProcFile.CpuTime(pid) ?? TimeSpan.Zero));
        var nodeBefore = Node.ProcessId is { } pid ? ProcFile.CpuTime(pid) : null;
        var loadBefore = LoadCpu();
        var started = Stopwatch.GetTimestamp();
        var reports = await WatchAsync((worker, _) => worker.RunAsync(CancellationToken), view);
        var wall = Stopwatch.GetElapsedTime(started);
        var nodeAfter = Node.ProcessId is { } pidAfter ? ProcFile.CpuTime(pidAfter) : null;
        Report.Cpu = new CpuReport
        {
            WallSeconds = Math.Round(wall.TotalSeconds, 3),
            NodeSeconds = nodeBefore is { } b && nodeAfter is { } a ? Math.Round((a - b).TotalSeconds, 3) : null,
            LoadGeneratorSeconds = Math.Round((LoadCpu() - loadBefore).TotalSeconds, 3),
        };
        return reports;
    }

    /// <summary>The register phase as every scenario shows it.</summary>
    public static PhaseView? RegisterView(WatchSample s) => s.Sum.Phase == WorkerPhase.Register
        ? new PhaseView("register users", s.Sum.RegisterTotal, s.Sum.Registered, $"{s.Sum.Registered:N0}/{s.Sum.RegisterTotal:N0}, {s.Sum.Errors:N0} errors")
        : null;

    private async Task<WorkerReport[]> WatchAsync(Func<IWorkerClient, int, Task<WorkerReport>> step, Func<WatchSample, PhaseView?> view)
    {
        var steps = workers.Select(step).ToArray();
        var all = Task.WhenAll(steps);
        var started = Stopwatch.GetTimestamp();
        var rateSince = started;
        long deliveredBefore = 0;
        double rate = 0;
        IPhaseProgress? phase = null;
        PhaseView? shown = null;
        var shownPhase = WorkerPhase.Idle;
        var seenPhase = WorkerPhase.Idle;
        var phaseStarted = started;
        while (true)
        {
            var finished = all.IsCompleted || await Task.WhenAny(all, Task.Delay(PollEvery, CancellationToken)) == all;
            if (steps.FirstOrDefault(s => s.IsFaulted) is { } failed)
            {
                await failed; // the first failure ends the run at once, without waiting for the other workers
            }

            var sum = Sum(workers.Select(w => w.Progress));
            var now = Stopwatch.GetTimestamp();
            if (sum.Delivered < deliveredBefore)
            {
                deliveredBefore = sum.Delivered; // a warm-up's counters were reset
                rateSince = now;
            }
            else if (now - rateSince >= Stopwatch.Frequency)
            {
                rate = (sum.Delivered - deliveredBefore) / Stopwatch.GetElapsedTime(rateSince, now).TotalSeconds;
                deliveredBefore = sum.Delivered;
                rateSince = now;
            }

            if (sum.Phase != seenPhase)
            {
                seenPhase = sum.Phase;
                phaseStarted = now;
            }

            var sample = new WatchSample(sum, Stopwatch.GetElapsedTime(phaseStarted, now), rate);
            var next = view(sample);
            if (phase is not null && (finished || next is not null && next.Value.Name != shown!.Value.Name))
            {
                // The phase ended. When the whole step ended, its counters are final: show them once more.
                var final = finished ? view(sample with { Sum = sum with { Phase = shownPhase } }) : null;
                phase.Complete((final ?? shown!.Value).Detail);
                phase = null;
            }

            if (next is { } current && !finished)
            {
                if (phase is null)
                {
                    phase = Progress.Start(current.Name, current.Total);
                }

                phase.Update(current.Done, current.Detail);
                shown = current;
                shownPhase = sum.Phase;
            }

            if (finished)
            {
                break;
            }
        }

        return await all;
    }

    private static WorkerProgress Sum(IEnumerable<WorkerProgress> all)
    {
        var list = all.ToList();
        return new WorkerProgress
        {
            Phase = list.Count == 0 ? WorkerPhase.Idle : list.Min(p => p.Phase), // the phase of the slowest worker
            RegisterTotal = list.Sum(p => p.RegisterTotal),
            Registered = list.Sum(p => p.Registered),
            Connected = list.Sum(p => p.Connected),
            QueueTotal = list.Sum(p => p.QueueTotal),
            Queued = list.Sum(p => p.Queued),
            Sent = list.Sum(p => p.Sent),
            SendAcked = list.Sum(p => p.SendAcked),
            Delivered = list.Sum(p => p.Delivered),
            DrainTotal = list.Sum(p => p.DrainTotal),
            Drained = list.Sum(p => p.Drained),
            Errors = list.Sum(p => p.Errors),
        };
    }

    /// <summary>
    /// Adds the workers' final reports up into <see cref="Report"/> (users, errors, latency
    /// percentiles) and returns the summed counters for the scenario's own figures.
    /// </summary>
    public WorkerReport Complete(IReadOnlyList<WorkerReport> reports)
    {
        var latencies = new SortedDictionary<string, LatencyHistogram>(StringComparer.Ordinal);
        foreach (var (measure, data) in reports.SelectMany(r => r.Latencies))
        {
            if (!latencies.TryGetValue(measure, out var histogram))
            {
                latencies[measure] = histogram = new LatencyHistogram();
            }

            histogram.Add(data);
        }

        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (code, count) in reports.SelectMany(r => r.Errors))
        {
            errors[code] = errors.GetValueOrDefault(code) + count;
        }

        Report.Users.Registered = reports.Sum(r => r.Registered);
        Report.Users.Connected = reports.Sum(r => r.Connected);
        Report.LatencyMs = latencies.ToDictionary(l => l.Key, l => l.Value.Summarize());
        Report.Errors = new ErrorsReport { Total = errors.Values.Sum(), ByCode = errors };
        return new WorkerReport
        {
            Users = reports.Sum(r => r.Users),
            Registered = reports.Sum(r => r.Registered),
            Connected = reports.Sum(r => r.Connected),
            Queued = reports.Sum(r => r.Queued),
            Sent = reports.Sum(r => r.Sent),
            SendAcked = reports.Sum(r => r.SendAcked),
            SendFailed = reports.Sum(r => r.SendFailed),
            Delivered = reports.Sum(r => r.Delivered),
            DeliveredInWindow = reports.Sum(r => r.DeliveredInWindow),
            WindowSeconds = reports.Count == 0 ? 0 : reports.Max(r => r.WindowSeconds),
            DeliverySeconds = reports.Count == 0 ? 0 : reports.Max(r => r.DeliverySeconds),
            DrainWallSeconds = reports.Count == 0 ? 0 : reports.Max(r => r.DrainWallSeconds),
            DrainTotal = reports.Sum(r => r.DrainTotal),
            DrainedUsers = reports.Sum(r => r.DrainedUsers),
            Errors = new Dictionary<string, long>(errors),
        };
    }
}
