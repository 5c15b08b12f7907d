using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AkkaChat.Bench.Wire;
using AkkaChat.Client.Transport;
using AkkaChat.Client.Wire;

namespace AkkaChat.Bench.Load;

/// <summary>A scenario's load in one worker: set up (register, connect, queue), then the measured run.</summary>
public interface IScenarioLoad : IAsyncDisposable
{
    Task SetupAsync(CancellationToken cancellationToken);

    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>The users of one worker's share, their registration, keep-alive and closing.</summary>
public abstract class ScenarioLoad : IScenarioLoad
{
    /// <summary>
    /// A connection that wrote nothing for this long sends a PING, which keeps the node's idle
    /// timeout (default 5 minutes) from closing it during a long run.
    /// </summary>
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(60);

    private KeepAlive? _keepAlive;

    protected ScenarioLoad(WorkerPlan plan, WorkerMetrics metrics)
    {
        Plan = plan;
        Metrics = metrics;
        _servers = plan.Servers.Length == 0
            ? [ServerAddress.ForTcp(plan.Host, plan.Port)]
            : plan.Servers.Select(ServerAddress.Parse).ToArray();
        Users = Enumerable.Range(plan.FirstUser, plan.UserCount).Select(i => new BenchUser(i, BenchPhones.Of(plan.PhonePrefix, i))).ToArray();
    }

    protected WorkerPlan Plan { get; }

    protected WorkerMetrics Metrics { get; }

    private readonly ServerAddress[] _servers;

    /// <summary>The node (and transport: tcp:// or ws://) user <paramref name="user"/> connects to: see <see cref="WorkerPlan.Servers"/>.</summary>
    protected ServerAddress EndpointOf(BenchUser user) => _servers[user.Index % _servers.Length];

    /// <summary>The first node of the run as a TCP endpoint: where idle-connections' plain sockets (one node, TCP only) connect.</summary>
    protected IPEndPoint Endpoint => _servers[0].Scheme == ServerAddress.Tcp
        ? Resolve(_servers[0].Host, _servers[0].Port)
        : throw new ArgumentException($"plain sockets connect over TCP only, not to {_servers[0]}");

    protected BenchUser[] Users { get; }

    protected TimeSpan DrainTimeout => TimeSpan.FromSeconds(Plan.DrainTimeoutSeconds);

    public abstract Task SetupAsync(CancellationToken cancellationToken);

    public abstract Task RunAsync(CancellationToken cancellationToken);

    /// <summary>Registers every user of the share; each stays connected and is pinged while idle.</summary>
    protected async Task RegisterAllAsync(CancellationToken cancellationToken)
    {
        Metrics.Phase = WorkerPhase.Register;
        await Registration.RegisterAsync(EndpointOf, Users, Plan.Concurrency, Metrics, cancellationToken);
        _keepAlive = new KeepAlive(() => Users.Select(u => u.Connection).OfType<BenchConnection>().Where(c => c.IsOpen).Select(c => c.Wire), KeepAliveInterval, pongTimeout: null);
    }

    /// <summary>The share as pairs (user 2k sends to user 2k+1), only those whose two users registered.</summary>
    protected IEnumerable<(BenchUser Sender, BenchUser Recipient)> RegisteredPairs()
    {
        for (var i = 0; i + 1 < Users.Length; i += 2)
        {
            if (Users[i].Registered && Users[i + 1].Registered)
            {
                yield return (Users[i], Users[i + 1]);
            }
        }
    }

    /// <summary>Users whose partner failed to register stay connected, counting what they receive.</summary>
    protected void KeepUnpairedIdle()
    {
        var paired = RegisteredPairs().SelectMany(p => new[] { p.Sender, p.Recipient }).ToHashSet();
        var idle = new IdleRole(Metrics);
        foreach (var user in Users.Where(u => u.Connection is not null && !paired.Contains(u)))
        {
            user.Connection!.StartReceiving(idle);
        }
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_keepAlive is not null)
        {
            await _keepAlive.DisposeAsync();
        }

        await Task.WhenAll(Users.Select(u => u.Connection).OfType<BenchConnection>().Select(c => c.CloseAsync().AsTask()));
    }

    private static IPEndPoint Resolve(string host, int port)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        var addresses = Dns.GetHostAddresses(host);
        return new IPEndPoint(addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.First(), port);
    }

    public static IScenarioLoad Create(WorkerPlan plan, WorkerMetrics metrics) => plan.Scenario switch
    {
        ScenarioKind.IdleConnections => new IdleConnectionsLoad(plan, metrics),
        ScenarioKind.OneToOne => new OneToOneLoad(plan, metrics),
        ScenarioKind.OfflineDrain => new OfflineDrainLoad(plan, metrics),
        _ => throw new ArgumentOutOfRangeException(nameof(plan), plan.Scenario, "unknown scenario"),
    };
}

/// <summary>idle-connections: register and stay connected; the coordinator measures the node's memory.</summary>
public sealed class IdleConnectionsLoad(WorkerPlan plan, WorkerMetrics metrics) : ScenarioLoad(plan, metrics)
{
    private List<Socket>? _plainSockets;

    public override async Task SetupAsync(CancellationToken cancellationToken)
    {
        if (Plan.Layer != IdleConnectionsLayer.User)
        {
            // Below a logged-in user: plain sockets that connect and stay silent (idle-timeout is 1h).
            Metrics.Phase = WorkerPhase.Register;
            _plainSockets = await IdleSockets.ConnectAsync(Endpoint, Plan.FirstUser, Plan.UserCount, Plan.Concurrency, Metrics, cancellationToken);
            Metrics.Phase = WorkerPhase.Ready;
            return;
        }

        await RegisterAllAsync(cancellationToken);
        var role = new IdleRole(Metrics);
        foreach (var user in Users)
        {
            user.Connection?.StartReceiving(role);
        }

        Metrics.Phase = WorkerPhase.Ready;
    }

    public override Task RunAsync(CancellationToken cancellationToken)
    {
        Metrics.Phase = WorkerPhase.Done; // the report counts the connections still open
        return Task.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var socket in _plainSockets ?? [])
        {
            socket.Dispose();
        }

        await base.DisposeAsync();
    }
}

/// <summary>
/// one-to-one: pairs of online users; senders send for the duration, recipients acknowledge every
/// DELIVER. Then in-flight messages are given the drain timeout to arrive.
/// </summary>
public sealed class OneToOneLoad(WorkerPlan plan, WorkerMetrics metrics) : ScenarioLoad(plan, metrics)
{
    private readonly SendingWindow _window = new();
    private readonly List<SenderRole> _senders = [];

    public override async Task SetupAsync(CancellationToken cancellationToken)
    {
        await RegisterAllAsync(cancellationToken);
        var recipient = new RecipientRole(Metrics, _window);
        foreach (var (sender, to) in RegisteredPairs())
        {
            var role = new SenderRole(sender.Connection!, to.Phone, Plan, Metrics);
            _senders.Add(role);
            sender.Connection!.StartReceiving(role);
            to.Connection!.StartReceiving(recipient);
        }

        KeepUnpairedIdle();
        Metrics.Phase = WorkerPhase.Ready;
    }

    public override async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Plan.WarmupSeconds > 0)
        {
            Metrics.Phase = WorkerPhase.Warmup;
            if (!await SendAndDrainAsync(Plan.WarmupSeconds, cancellationToken))
            {
                Metrics.Error("WARMUP_NOT_DRAINED"); // its messages still arrive during the measured run
            }

            Metrics.ResetMessages();
        }

        Metrics.Phase = WorkerPhase.Run;
        await SendAndDrainAsync(Plan.DurationSeconds, cancellationToken);
        Metrics.WindowSeconds = Plan.DurationSeconds;
        Metrics.Error("NO_SEND_ACK", Metrics.Sent - Metrics.SendAcked - Metrics.SendFailed);
        Metrics.Error("UNDELIVERED", Metrics.SendAcked - Metrics.Delivered);
        Metrics.Phase = WorkerPhase.Done;
    }

    /// <summary>
    /// Every sender sends for <paramref name="seconds"/>; then in-flight messages get the drain timeout
    /// to arrive. False when some did not.
    /// </summary>
    private async Task<bool> SendAndDrainAsync(double seconds, CancellationToken cancellationToken)
    {
        var perSender = Plan.RatePerSecond is { } rate && _senders.Count > 0 ? rate / _senders.Count : (double?)null;
        var start = Stopwatch.GetTimestamp();
        Metrics.RunStartedAt = start;
        var end = start + (long)(seconds * Stopwatch.Frequency);
        _window.End = end;
        await Task.WhenAll(_senders.Select(s => Task.Run(() => s.SendUntilAsync(start, end, perSender, cancellationToken), cancellationToken)));

        if (Metrics.Phase == WorkerPhase.Run)
        {
            Metrics.Phase = WorkerPhase.Drain;
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(Plan.DrainTimeoutSeconds * Stopwatch.Frequency);
        while (!AllArrived() && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(20, cancellationToken); // sampling the counters, not synchronising
        }

        return AllArrived();
    }

    private bool AllArrived() =>
        Interlocked.Read(ref Metrics.SendAcked) + Interlocked.Read(ref Metrics.SendFailed) >= Interlocked.Read(ref Metrics.Sent)
        && Interlocked.Read(ref Metrics.Delivered) >= Interlocked.Read(ref Metrics.SendAcked);
}

/// <summary>
/// offline-drain: recipients go offline, their senders queue <see cref="WorkerPlan.MessagesPerUser"/>
/// messages each; then every recipient logs in and is timed until its queue is delivered and acknowledged.
/// </summary>
public sealed class OfflineDrainLoad(WorkerPlan plan, WorkerMetrics metrics) : ScenarioLoad(plan, metrics)
{
    private readonly List<(SenderRole Sender, BenchUser Recipient)> _pairs = [];

    public override async Task SetupAsync(CancellationToken cancellationToken)
    {
        await RegisterAllAsync(cancellationToken);
        foreach (var (sender, recipient) in RegisteredPairs())
        {
            var role = new SenderRole(sender.Connection!, recipient.Phone, Plan, Metrics);
            sender.Connection!.StartReceiving(role);
            _pairs.Add((role, recipient));
        }

        KeepUnpairedIdle();

        await Task.WhenAll(_pairs.Select(async p =>
        {
            await p.Recipient.Connection!.CloseAsync();
            p.Recipient.Connection = null;
            Interlocked.Decrement(ref Metrics.Connected);
        }));

        Metrics.Phase = WorkerPhase.Queue;
        Metrics.QueueTotal = (long)_pairs.Count * Plan.MessagesPerUser;
        await Task.WhenAll(_pairs.Select(p => Task.Run(() => p.Sender.SendCountAsync(Plan.MessagesPerUser, cancellationToken), cancellationToken)));
        await Task.WhenAll(_pairs.Select(p => p.Sender.WaitForAnswersAsync(DrainTimeout, cancellationToken)));
        Metrics.Error("NO_SEND_ACK", Metrics.Sent - Metrics.SendAcked - Metrics.SendFailed);

        Metrics.Queued = Metrics.SendAcked;
        Metrics.Phase = WorkerPhase.Ready;
    }

    public override async Task RunAsync(CancellationToken cancellationToken)
    {
        Metrics.Phase = WorkerPhase.Drain;
        Metrics.DrainTotal = _pairs.Count;
        var drain = Metrics.Latency(Measures.Drain);
        var first = Stopwatch.GetTimestamp();
        long last = first;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Plan.Concurrency), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(_pairs, options, async (pair, token) =>
        {
            var expected = pair.Sender.Acked;
            var role = new DrainRole(Metrics, expected);
            var started = Stopwatch.GetTimestamp();
            BenchConnection? connection = null;
            try
            {
                connection = await BenchConnection.ConnectAsync(EndpointOf(pair.Recipient), pair.Recipient.Phone, token);
                var ok = await connection.LoginAsync(pair.Recipient.Token, token);
                if ((long)ok.Pending != expected)
                {
                    Metrics.Error("PENDING_MISMATCH");
                }

                pair.Recipient.Connection = connection;
                Interlocked.Increment(ref Metrics.Connected);
                connection.StartReceiving(role);
                role.CompleteIfNothingExpected(Stopwatch.GetTimestamp());
                var drained = await role.Drained.WaitAsync(DrainTimeout, token);
                drain.RecordBetween(started, drained);
                Interlocked.Increment(ref Metrics.DrainedUsers);
                WorkerMetrics.Max(ref last, drained);
            }
            catch (TimeoutException)
            {
                Metrics.Error("DRAIN_TIMEOUT");
            }
            catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
            {
                if (e is not BenchProtocolException { Code: Role.ConnectionLost })
                {
                    Metrics.Error(Registration.ErrorCodeOf(e)); // a lost connection is counted by its role
                }

                if (connection is not null && pair.Recipient.Connection != connection)
                {
                    await connection.DisposeAsync();
                }
            }
        });

        Metrics.DrainWallSeconds = Stopwatch.GetElapsedTime(first, last).TotalSeconds;
        Metrics.Phase = WorkerPhase.Done;
    }
}
