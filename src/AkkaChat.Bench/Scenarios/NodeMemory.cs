using AkkaChat.Bench.Reporting;

namespace AkkaChat.Bench.Scenarios;

/// <summary>A reading of the node's resident set size.</summary>
public sealed record RssReading(long Bytes, bool Settled, int Samples);

/// <summary>
/// Reads the node's memory as the kernel counts it (VmRSS of /proc/PID/status). A reading is taken
/// once the figure has settled: three samples one second apart within 0.5 % (or 1 MiB) of each
/// other, so collections and allocations still under way after a phase do not land in the figure.
/// </summary>
public static class NodeMemory
{
    private const int StableSamples = 3;
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(1);

    public static async Task<RssReading> SettleAsync(int pid, TimeSpan deadline, IPhaseProgress phase, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + deadline;
        var samples = new List<long>();
        while (true)
        {
            var rss = ProcFile.RssBytes(pid) ?? throw new BenchSetupException($"cannot read /proc/{pid}/status: is the node's process id right?");
            samples.Add(rss);
            var detail = $"{rss / (1024.0 * 1024):0.0} MiB after {samples.Count} sample(s)";
            if (IsStable(samples))
            {
                phase.Complete(detail + ", settled");
                return new RssReading(rss, true, samples.Count);
            }

            if (DateTime.UtcNow >= until)
            {
                phase.Complete(detail + ", NOT settled before the deadline");
                return new RssReading(rss, false, samples.Count);
            }

            phase.Update(samples.Count, detail);
            await Task.Delay(SampleEvery, cancellationToken); // sampling interval
        }
    }

    /// <summary>
    /// Asks a node started with akkachat.transport.diagnostic-heap-file for a full compacting GC and
    /// returns its managed heap after it; null when the node has no heap file (not started by the bench).
    /// </summary>
    public static async Task<long?> HeapAfterFullGcAsync(string? heapFile, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(heapFile))
        {
            return null;
        }

        File.Delete(heapFile);
        await File.WriteAllTextAsync(heapFile + ".request", string.Empty, cancellationToken);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!File.Exists(heapFile))
        {
            if (DateTime.UtcNow >= until)
            {
                throw new BenchSetupException($"the node did not answer the heap report request {heapFile}.request within 60 s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken); // the node checks once a second
        }

        var text = await File.ReadAllTextAsync(heapFile, cancellationToken);
        return long.Parse(text.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static bool IsStable(List<long> samples)
    {
        if (samples.Count < StableSamples)
        {
            return false;
        }

        var last = samples.TakeLast(StableSamples).ToList();
        var spread = last.Max() - last.Min();
        return spread <= Math.Max(last.Max() / 200, 1024 * 1024);
    }
}

/// <summary>The run cannot go on: a wrong option, an unreachable node, a node that refuses the bench.</summary>
public sealed class BenchSetupException(string message) : Exception(message);
