using System.Diagnostics;
using HdrHistogram;

namespace AkkaChat.Bench.Load;

/// <summary>
/// Latencies in microseconds, 1 µs to 1 hour at three significant digits (HdrHistogram). Safe to
/// record into from every receive loop at once.
/// </summary>
public sealed class LatencyHistogram
{
    private const long HighestMicros = 3_600_000_000;

    private readonly HistogramBase _histogram = HistogramFactory.With64BitBucketSize()
        .WithValuesFrom(1).WithValuesUpTo(HighestMicros).WithPrecisionOf(3)
        .WithThreadSafeWrites().Create();

    public long Count => _histogram.TotalCount;

    /// <summary>Records the time between two <see cref="Stopwatch"/> timestamps of this process.</summary>
    public void RecordBetween(long fromTimestamp, long toTimestamp)
    {
        var micros = (toTimestamp - fromTimestamp) * 1_000_000 / Stopwatch.Frequency;
        _histogram.RecordValue(Math.Clamp(micros, 0, HighestMicros));
    }

    public void Reset() => _histogram.Reset();

    public HistogramData ToData()
    {
        var values = new List<long>();
        var counts = new List<long>();
        foreach (var value in _histogram.RecordedValues())
        {
            values.Add(value.ValueIteratedTo);
            counts.Add(value.CountAtValueIteratedTo);
        }

        return new HistogramData { Values = [.. values], Counts = [.. counts] };
    }

    public void Add(HistogramData data)
    {
        for (var i = 0; i < data.Values.Length; i++)
        {
            _histogram.RecordValueWithCount(Math.Clamp(data.Values[i], 0, HighestMicros), data.Counts[i]);
        }
    }

    public LatencySummary Summarize()
    {
        static double Ms(long micros) => Math.Round(micros / 1000.0, 3);
        if (_histogram.TotalCount == 0)
        {
            return new LatencySummary();
        }

        return new LatencySummary
        {
            Count = _histogram.TotalCount,
            Mean = Math.Round(_histogram.GetMean() / 1000.0, 3),
            P50 = Ms(_histogram.GetValueAtPercentile(50)),
            P90 = Ms(_histogram.GetValueAtPercentile(90)),
            P99 = Ms(_histogram.GetValueAtPercentile(99)),
            P999 = Ms(_histogram.GetValueAtPercentile(99.9)),
            Max = Ms(_histogram.GetMaxValue()),
        };
    }
}

/// <summary>Percentiles of one latency measure, in milliseconds.</summary>
public sealed class LatencySummary
{
    public long Count { get; init; }

    public double Mean { get; init; }

    public double P50 { get; init; }

    public double P90 { get; init; }

    public double P99 { get; init; }

    public double P999 { get; init; }

    public double Max { get; init; }
}
