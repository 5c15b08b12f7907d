using System.Collections.Concurrent;

namespace AkkaChat.Bench.Load;

/// <summary>
/// Everything a worker counts and measures, written from many receive loops at once: counters,
/// errors by code, latency histograms. <see cref="Progress"/> and <see cref="Report"/> read it.
/// </summary>
public sealed class WorkerMetrics(int users)
{
    private readonly ConcurrentDictionary<string, long> _errors = new();
    private readonly ConcurrentDictionary<string, LatencyHistogram> _latencies = new();

    public long RegisterTotal = users;
    public long Registered;
    public long Connected;
    public long QueueTotal;
    public long Queued;
    public long Sent;
    public long SendAcked;
    public long SendFailed;
    public long Delivered;
    public long DeliveredInWindow;
    public long DrainTotal;
    public long DrainedUsers;
    public double WindowSeconds;
    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamps: the measured sending began; the last DELIVER of it arrived.</summary>
    public long RunStartedAt;
    public long LastDeliveredAt;
    public double DrainWallSeconds;

    public WorkerPhase Phase { get; set; }

    public long ErrorTotal => _errors.Values.Sum();

    public void Error(string code) => Error(code, 1);

    /// <summary>Counts <paramref name="count"/> errors of <paramref name="code"/>; nothing when it is not positive.</summary>
    public void Error(string code, long count)
    {
        if (count > 0)
        {
            _errors.AddOrUpdate(code, count, (_, n) => n + count);
        }
    }

    /// <summary>Raises <paramref name="target"/> to <paramref name="value"/> unless it is already higher.</summary>
    public static void Max(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    public LatencyHistogram Latency(string measure) => _latencies.GetOrAdd(measure, static _ => new LatencyHistogram());

    /// <summary>Forgets what a warm-up sent, delivered and measured; errors stay counted.</summary>
    public void ResetMessages()
    {
        Interlocked.Exchange(ref Sent, 0);
        Interlocked.Exchange(ref SendAcked, 0);
        Interlocked.Exchange(ref SendFailed, 0);
        Interlocked.Exchange(ref Delivered, 0);
        Interlocked.Exchange(ref DeliveredInWindow, 0);
        Interlocked.Exchange(ref LastDeliveredAt, 0);
        foreach (var latency in _latencies.Values)
        {
            latency.Reset();
        }
    }

    public WorkerProgress Progress() => new()
    {
        Phase = Phase,
        RegisterTotal = Interlocked.Read(ref RegisterTotal),
        Registered = Interlocked.Read(ref Registered),
        Connected = Interlocked.Read(ref Connected),
        QueueTotal = Interlocked.Read(ref QueueTotal),
        Queued = Interlocked.Read(ref Queued),
        Sent = Interlocked.Read(ref Sent),
        SendAcked = Interlocked.Read(ref SendAcked),
        Delivered = Interlocked.Read(ref Delivered),
        DrainTotal = Interlocked.Read(ref DrainTotal),
        Drained = Interlocked.Read(ref DrainedUsers),
        Errors = ErrorTotal,
    };

    public WorkerReport Report() => new()
    {
        Users = (int)RegisterTotal,
        Registered = Interlocked.Read(ref Registered),
        Connected = Interlocked.Read(ref Connected),
        Queued = Interlocked.Read(ref Queued),
        Sent = Interlocked.Read(ref Sent),
        SendAcked = Interlocked.Read(ref SendAcked),
        SendFailed = Interlocked.Read(ref SendFailed),
        Delivered = Interlocked.Read(ref Delivered),
        DeliveredInWindow = Interlocked.Read(ref DeliveredInWindow),
        WindowSeconds = WindowSeconds,
        DeliverySeconds = Interlocked.Read(ref LastDeliveredAt) > RunStartedAt && RunStartedAt > 0
            ? System.Diagnostics.Stopwatch.GetElapsedTime(RunStartedAt, Interlocked.Read(ref LastDeliveredAt)).TotalSeconds
            : 0,
        DrainWallSeconds = DrainWallSeconds,
        DrainTotal = Interlocked.Read(ref DrainTotal),
        DrainedUsers = Interlocked.Read(ref DrainedUsers),
        Errors = new Dictionary<string, long>(_errors),
        Latencies = _latencies.ToDictionary(l => l.Key, l => l.Value.ToData()),
    };
}
