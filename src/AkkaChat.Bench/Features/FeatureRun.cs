using System.Diagnostics;
using AkkaChat.Bench.Load;
using AkkaChat.Bench.Reporting;
using AkkaChat.Bench.Scenarios;
using AkkaChat.Protocol;
using AkkaChat.Bench.Wire;
using AkkaChat.Client.Transport;
using Google.Protobuf;

namespace AkkaChat.Bench.Features;

/// <summary>
/// The coordinator's side of a feature scenario (group-fanout, presence-storm, status-fanout): every
/// connection lives in the bench process (one load generator), users are registered in bulk, and
/// each step is measured on its own: its wall time, the node's CPU over it and what it delivered.
/// </summary>
public sealed class FeatureRun(BenchOptions options, BenchNode node, IProgressSink progress, BenchReport report, CancellationToken cancellationToken)
{
    private readonly ServerAddress _endpoint = Resolve(node);
    private readonly Dictionary<string, LatencyHistogram> _latencies = new(StringComparer.Ordinal);
    private int _nextUser;

    public BenchOptions Options { get; } = options;

    /// <summary>The node the run measures.</summary>
    public BenchNode Node { get; } = node;

    public BenchReport Report { get; } = report;

    public IProgressSink Progress { get; } = progress;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Errors and counters of the whole run (registrations, ERROR frames, lost connections).</summary>
    public WorkerMetrics Metrics { get; } = new(0);

    public int PhonePrefix { get; } = Random.Shared.Next(100_000, 1_000_000);

    /// <summary>The one node of the run, over TCP or (with --transport ws) its WebSocket.</summary>
    public ServerAddress Endpoint => _endpoint;

    /// <summary>A latency histogram of the run, reported under <paramref name="measure"/>.</summary>
    public LatencyHistogram Latency(string measure)
    {
        lock (_latencies)
        {
            if (!_latencies.TryGetValue(measure, out var histogram))
            {
                _latencies[measure] = histogram = new LatencyHistogram();
            }

            return histogram;
        }
    }

    /// <summary>Registers <paramref name="count"/> new users (fresh numbers); each stays connected, not yet receiving. Fails the run if any did not register.</summary>
    public async Task<BenchUser[]> RegisterAsync(int count, string what)
    {
        var users = Enumerable.Range(_nextUser, count).Select(i => new BenchUser(i, BenchPhones.Of(PhonePrefix, i))).ToArray();
        _nextUser += count;
        Interlocked.Add(ref Metrics.RegisterTotal, count);
        var phase = Progress.Start($"register {count:N0} {what}", count);
        var before = Metrics.Registered;
        var registering = Registration.RegisterAsync(_ => _endpoint, users, Options.Concurrency, Metrics, CancellationToken);
        while (await Task.WhenAny(registering, Task.Delay(250, CancellationToken)) != registering)
        {
            phase.Update(Metrics.Registered - before, $"{Metrics.Registered - before:N0}/{count:N0}");
        }

        await registering;
        phase.Complete($"{Metrics.Registered - before:N0}/{count:N0}, {Metrics.ErrorTotal:N0} errors");
        if (users.Any(u => !u.Registered))
        {
            throw new BenchSetupException($"{users.Count(u => !u.Registered):N0} of {count:N0} {what} could not register");
        }

        return users;
    }

    /// <summary>Logs <paramref name="user"/> in again on a new connection, receiving with <paramref name="role"/>.</summary>
    public async Task<AkkaChat.Protocol.Messages.AuthOk> LoginAsync(BenchUser user, IFrameHandler role)
    {
        var connection = await BenchConnection.ConnectAsync(_endpoint, user.Phone, CancellationToken);
        try
        {
            var ok = await connection.LoginAsync(user.Token, CancellationToken);
            user.Connection = connection;
            connection.StartReceiving(role);
            return ok;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until <paramref name="done"/> holds, sampling every 10 ms; false at the deadline (drain timeout).</summary>
    public async Task<bool> WaitUntilAsync(Func<bool> done, string? timeoutError = null)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Options.DrainTimeout.TotalSeconds * Stopwatch.Frequency);
        while (!done())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                if (timeoutError is not null)
                {
                    Metrics.Error(timeoutError);
                }

                return false;
            }

            await Task.Delay(10, CancellationToken); // sampling counters, not synchronising
        }

        return true;
    }

    /// <summary>Starts measuring a step: wall time and the CPU of the node and of this process.</summary>
    public StepMeter Measure() => new(Node.ProcessIds);

    /// <summary>
    /// The measured figures of a step that <paramref name="meter"/> timed and that delivered
    /// <paramref name="delivered"/> items, read now: wall time, per second, node and load-generator
    /// CPU, node CPU per delivery, and the step's headline latency <paramref name="latencyMeasure"/>.
    /// The scenario adds what the step was (name, size, sent, ...) with <c>with</c>.
    /// </summary>
    public FeatureStepReport Measured(StepMeter meter, long delivered, string latencyMeasure)
    {
        var wall = meter.WallSeconds;
        var node = meter.NodeSeconds();
        var latency = Latency(latencyMeasure).Summarize();
        return new FeatureStepReport
        {
            Delivered = delivered,
            Seconds = Math.Round(wall, 3),
            DeliveredPerSecond = wall > 0 ? Math.Round(delivered / wall, 1) : 0,
            NodeCpuSeconds = node is { } n ? Math.Round(n, 3) : null,
            LoadGeneratorCpuSeconds = meter.LoadSeconds() is { } l ? Math.Round(l, 3) : null,
            NodeMicrosPerDelivered = node is { } nd && delivered > 0 ? Math.Round(nd * 1e6 / delivered, 1) : null,
            LatencyMeasure = latencyMeasure,
            P50Ms = latency.P50,
            P99Ms = latency.P99,
            MaxMs = latency.Max,
        };
    }

    /// <summary>Adds a step's figures to the report.</summary>
    public void Add(FeatureStepReport step) => (Report.FeatureSteps ??= []).Add(step);

    /// <summary>Fills the report's users, errors and latencies from the run; call once at the end.</summary>
    public void Complete(IEnumerable<BenchUser> users)
    {
        var all = users.ToList();
        Report.Users.Registered = all.Count(u => u.Registered);
        Report.Users.Connected = all.Count(u => u.Connection?.IsOpen == true);
        lock (_latencies)
        {
            Report.LatencyMs = _latencies.OrderBy(l => l.Key, StringComparer.Ordinal).ToDictionary(l => l.Key, l => l.Value.Summarize());
        }

        var errors = new SortedDictionary<string, long>(Metrics.Report().Errors, StringComparer.Ordinal);
        Report.Errors = new ErrorsReport { Total = errors.Values.Sum(), ByCode = errors };
    }

    /// <summary>A body of <paramref name="bytes"/> bytes whose first 8 are the <see cref="Stopwatch"/> timestamp <paramref name="at"/>.</summary>
    public static ByteString StampedBody(long at, int bytes)
    {
        var body = new byte[Math.Max(sizeof(long), bytes)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(body, at);
        return UnsafeByteOperations.UnsafeWrap(body);
    }

    /// <summary>The timestamp <see cref="StampedBody"/> wrote, or 0.</summary>
    public static long StampOf(ByteString body) =>
        body.Length >= sizeof(long) ? System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(body.Span) : 0;

    public async Task CloseAllAsync(IEnumerable<BenchUser> users) =>
        await Task.WhenAll(users.Select(u => u.Connection).OfType<BenchConnection>().Select(c => c.CloseAsync().AsTask()));

    private static ServerAddress Resolve(BenchNode node) =>
        node.Servers.Length > 0 ? ServerAddress.Parse(node.Servers[0]) : ServerAddress.ForTcp(node.Host == "localhost" ? "127.0.0.1" : node.Host, node.Port);
}

/// <summary>Wall time and CPU (node processes, this process) since it was started.</summary>
public sealed class StepMeter(IReadOnlyList<int> nodePids)
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly TimeSpan? _node = NodeCpu(nodePids);
    private readonly TimeSpan? _load = ProcFile.CpuTime(Environment.ProcessId);

    public double WallSeconds => Stopwatch.GetElapsedTime(_started).TotalSeconds;

    /// <summary>Node CPU seconds since the start; null when the node's process is unknown.</summary>
    public double? NodeSeconds() => NodeCpu(nodePids) is { } now && _node is { } then ? (now - then).TotalSeconds : null;

    public double? LoadSeconds() => ProcFile.CpuTime(Environment.ProcessId) is { } now && _load is { } then ? (now - then).TotalSeconds : null;

    private static TimeSpan? NodeCpu(IReadOnlyList<int> pids)
    {
        if (pids.Count == 0)
        {
            return null;
        }

        var sum = TimeSpan.Zero;
        foreach (var pid in pids)
        {
            if (ProcFile.CpuTime(pid) is not { } cpu)
            {
                return null;
            }

            sum += cpu;
        }

        return sum;
    }
}

/// <summary>What a connection of a feature scenario does with each frame (runs on its receive loop: keep it short).</summary>
public sealed class FeatureRole(WorkerMetrics metrics, Action<BenchConnection, Google.Protobuf.IMessage, long> onMessage) : Role(metrics)
{
    public override void OnFrame(BenchConnection connection, in AkkaChat.Protocol.Frame frame, long receivedAt)
    {
        base.OnFrame(connection, frame, receivedAt); // counts ERROR frames
        if (frame.Message is { } message)
        {
            onMessage(connection, message, receivedAt);
        }
    }
}
