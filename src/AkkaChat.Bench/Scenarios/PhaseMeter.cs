using System.Diagnostics;
using AkkaChat.Bench.Load;
using AkkaChat.Bench.Reporting;

namespace AkkaChat.Bench.Scenarios;

/// <summary>CPU seconds used so far by the node processes (null when none is known) and by the load generator's processes.</summary>
public readonly record struct CpuSample(long At, TimeSpan? Node, TimeSpan Load, long Sent, long Delivered);

/// <summary>What one phase of the workers used: its wall time, CPU and the messages sent and delivered in it.</summary>
public readonly record struct PhaseUse(double WallSeconds, double? NodeSeconds, double LoadSeconds, long Sent, long Delivered, long BacklogAtMiddle, long BacklogAtEnd);

/// <summary>
/// Samples CPU time (/proc/&lt;pid&gt;/stat) of the node processes and of the load generator's
/// processes whenever the workers' phase changes, so each phase (logins, the measured send
/// window, the drain) gets its own CPU figure. The phase is the slowest worker's, sampled every
/// poll of the coordinator (250 ms), which bounds how exactly a phase's edges are caught.
/// </summary>
public sealed class PhaseMeter(IReadOnlyList<int> nodePids, IReadOnlyList<int> loadPids)
{
    private readonly Dictionary<WorkerPhase, (CpuSample Start, CpuSample End, long Middle)> _phases = [];
    private WorkerPhase _current = WorkerPhase.Idle;
    private CpuSample _start;
    private long _middleBacklog = -1;

    public CpuSample Sample(long sent, long delivered)
    {
        TimeSpan? node = null;
        foreach (var pid in nodePids)
        {
            if (ProcFile.CpuTime(pid) is { } cpu)
            {
                node = (node ?? TimeSpan.Zero) + cpu;
            }
        }

        var load = loadPids.Aggregate(TimeSpan.Zero, (sum, pid) => sum + (ProcFile.CpuTime(pid) ?? TimeSpan.Zero));
        return new CpuSample(Stopwatch.GetTimestamp(), node, load, sent, delivered);
    }

    /// <summary>Called at every poll with the workers' summed counters; <paramref name="halfway"/> once the phase is half over.</summary>
    public void Observe(WorkerProgress sum, bool halfway, bool finished)
    {
        if (sum.Phase != _current || finished)
        {
            var now = Sample(sum.Sent, sum.Delivered);
            _phases[_current] = (_start, now, _middleBacklog);
            _current = sum.Phase;
            _start = now;
            _middleBacklog = -1;
        }
        else if (halfway && _middleBacklog < 0)
        {
            _middleBacklog = Math.Max(0, sum.Sent - sum.Delivered);
        }
    }

    /// <summary>What <paramref name="phase"/> used, null when the workers did not pass through it.</summary>
    public PhaseUse? Use(WorkerPhase phase)
    {
        if (!_phases.TryGetValue(phase, out var p))
        {
            return null;
        }

        double? node = p.Start.Node is { } a && p.End.Node is { } b ? Math.Round((b - a).TotalSeconds, 3) : null;
        return new PhaseUse(
            Math.Round(Stopwatch.GetElapsedTime(p.Start.At, p.End.At).TotalSeconds, 3),
            node,
            Math.Round((p.End.Load - p.Start.Load).TotalSeconds, 3),
            p.End.Sent - p.Start.Sent,
            p.End.Delivered - p.Start.Delivered,
            p.Middle,
            Math.Max(0, p.End.Sent - p.End.Delivered));
    }
}
