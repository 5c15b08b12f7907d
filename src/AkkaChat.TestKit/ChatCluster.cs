using System.Text;
using Akka.Actor;
using Akka.Remote;
using Akka.Remote.Transport;
using AkkaChat.Node.Users;

namespace AkkaChat.TestKit;

/// <summary>Options of a <see cref="ChatCluster"/>.</summary>
public sealed record ChatClusterOptions
{
    /// <summary>HOCON layered over every node's defaults (after the kit's own settings).</summary>
    public string Hocon { get; init; } = string.Empty;

    /// <summary>
    /// Timings that make failures resolve in seconds rather than the production defaults: faster
    /// failure detection, split brain resolution after 3 s of stability, rebalancing every 2 s.
    /// </summary>
    public static string FastFailover { get; } = """
        akka.cluster.failure-detector.heartbeat-interval = 500ms
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 2s
        akka.cluster.split-brain-resolver.stable-after = 3s
        akka.cluster.sharding.rebalance-interval = 2s
        akka.cluster.sharding.retry-interval = 500ms
        akka.cluster.sharding.handoff-timeout = 10s
        akka.remote.dot-netty.tcp.connection-timeout = 2s
        """;

    /// <summary>The PostgreSQL server to create the cluster's journal database on.</summary>
    public string? PostgresServer { get; init; }
}

/// <summary>
/// Several AkkaChat nodes in the test process, one ActorSystem each, on free ports, sharing a fresh
/// PostgreSQL journal, joined into one cluster. Faults: crash a node, cut or slow the link between
/// two nodes (Akka.Remote's throttler: blackhole or a byte rate), heal it. <see cref="Report"/> tells
/// what every node saw, for the message of a failed assertion.
/// </summary>
public sealed class ChatCluster : IChatNodes, IAsyncDisposable
{
    private readonly List<ClusterNode> _nodes = new();
    private readonly PostgresDatabase _database;
    private readonly ChatClusterOptions _options;
    private readonly List<int> _seedRemotePorts = new();

    private ChatCluster(PostgresDatabase database, ChatClusterOptions options)
    {
        _database = database;
        _options = options;
    }

    public IReadOnlyList<ClusterNode> Nodes => _nodes;

    public IEnumerable<ClusterNode> Running => _nodes.Where(n => n.IsRunning);

    IEnumerable<IChatNode> IChatNodes.RunningNodes => Running;

    public string JournalConnectionString => _database.ConnectionString;

    /// <summary>
    /// Starts <paramref name="nodes"/> nodes at once and waits until all of them are Up. All of
    /// them are seed nodes, so any one of them can restart and rejoin while the others run.
    /// </summary>
    public static async Task<ChatCluster> StartAsync(int nodes, ChatClusterOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodes, 1);
        options ??= new ChatClusterOptions();
        var cluster = new ChatCluster(await PostgresDatabase.CreateAsync(options.PostgresServer), options);
        try
        {
            for (var i = 0; i < nodes; i++)
            {
                cluster._seedRemotePorts.Add(NodeProcess.FreePort());
            }

            var created = cluster._seedRemotePorts.Select(cluster.CreateNode).ToList();
            await Task.WhenAll(created.Select(n => n.StartAsync()));
            await cluster.AwaitConvergenceAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more node, which joins the cluster through the seed nodes.</summary>
    public async Task<ClusterNode> AddNodeAsync()
    {
        var node = CreateNode(NodeProcess.FreePort());
        await node.StartAsync();
        await AwaitConvergenceAsync();
        return node;
    }

    private ClusterNode CreateNode(int remotePort)
    {
        var name = $"node-{_nodes.Count + 1}";
        var port = NodeProcess.FreePort();
        var node = new ClusterNode(name, port, remotePort, Overrides(name, port, remotePort));
        _nodes.Add(node);
        return node;
    }

    private List<string> Overrides(string name, int port, int remotePort) =>
    [
        $"akkachat.node-name = \"{name}\"",
        "akkachat.listen.host = \"127.0.0.1\"",
        $"akkachat.listen.port = {port}",
        "akkachat.web.host = \"127.0.0.1\"",
        "akkachat.web.port = 0",
        "akkachat.auth.reveal-codes = on",
        "akkachat.registration.code-requests-per-phone-burst = 1000000", // tests register many users from one address
        "akkachat.registration.code-requests-per-address-burst = 1000000",
        "akkachat.management.port = 0",
        "akkachat.storage.provider = postgresql",
        $"akkachat.storage.connection-string = \"{_database.ConnectionString}\"",
        "akkachat.cluster.hostname = \"127.0.0.1\"",
        $"akkachat.cluster.port = {remotePort}",
        "akka.remote.dot-netty.tcp.applied-adapters = [trttl]",
        $"akkachat.cluster.seed-nodes = [{string.Join(", ", _seedRemotePorts.Select(p => $"\"{ClusterNode.Scheme}://{Node.Hosting.AkkaChatHostingExtensions.ActorSystemName}@127.0.0.1:{p}\""))}]",
        "akka.cluster.seed-node-timeout = 2s",
        // A crash is ActorSystem.Terminate without the leave and handoff of a graceful stop.
        "akka.coordinated-shutdown.run-by-actor-system-terminate = off",
        "akka.coordinated-shutdown.run-by-clr-shutdown-hook = off",
        ChatClusterOptions.FastFailover,
        _options.Hocon,
    ];

    /// <summary>
    /// Waits until every running node sees exactly the running nodes Up and none unreachable.
    /// </summary>
    public Task AwaitConvergenceAsync(TimeSpan? deadline = null) =>
        AwaitAsync("cluster convergence", () =>
        {
            var running = Running.Select(n => n.Address).ToHashSet();
            return Running.All(n => n.UpMembers().SetEquals(running) && n.UnreachableMembers().Count == 0);
        }, deadline ?? TimeSpan.FromSeconds(60));

    /// <summary>Waits until <paramref name="condition"/> holds, or fails with the cluster report.</summary>
    public async Task AwaitAsync(string what, Func<bool> condition, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"no {what} within {deadline}\n{Report()}");
            }

            await Task.Delay(100);
        }
    }

    // ---- faults ----

    /// <summary>Cuts every link between the two sides, both ways (messages are dropped).</summary>
    public Task PartitionAsync(IEnumerable<ClusterNode> side, IEnumerable<ClusterNode> otherSide) =>
        ThrottleAsync(side, otherSide, Blackhole.Instance);

    /// <summary>Restores every link between the two sides.</summary>
    public Task HealAsync(IEnumerable<ClusterNode> side, IEnumerable<ClusterNode> otherSide) =>
        ThrottleAsync(side, otherSide, Unthrottled.Instance);

    /// <summary>Limits the link between two nodes to <paramref name="bytesPerSecond"/>, both ways.</summary>
    public Task SlowLinkAsync(ClusterNode a, ClusterNode b, double bytesPerSecond) =>
        ThrottleAsync([a], [b], new TokenBucket(capacity: 1000, tokensPerSecond: bytesPerSecond, nanoTimeOfLastSend: 0, availableTokens: 1000));

    private async Task ThrottleAsync(IEnumerable<ClusterNode> side, IEnumerable<ClusterNode> otherSide, ThrottleMode mode)
    {
        var others = otherSide.ToList();
        foreach (var a in side)
        {
            foreach (var b in others)
            {
                await SetThrottleAsync(a, b, mode);
                await SetThrottleAsync(b, a, mode);
            }
        }
    }

    private static async Task SetThrottleAsync(ClusterNode from, ClusterNode to, ThrottleMode mode)
    {
        if (from.System is not { } system)
        {
            return;
        }

        var provider = (IRemoteActorRefProvider)((ExtendedActorSystem)system).Provider;
        var transport = provider.Transport;
        await transport.ManagementCommand(new SetThrottle(to.Address, ThrottleTransportAdapter.Direction.Both, mode));
    }

    /// <summary>
    /// Crashes a node: its links are cut and its actor system ends at once, with no leave and no
    /// shard handoff. The others see it unreachable, and the split brain resolver downs it.
    /// </summary>
    public async Task CrashAsync(ClusterNode node)
    {
        await PartitionAsync([node], _nodes.Where(n => n != node && n.IsRunning));
        await node.CrashAsync();
    }

    /// <summary>Stops a node gracefully: clients closed cleanly, the node leaves, shards handed off.</summary>
    public Task StopAsync(ClusterNode node) => node.StopAsync();

    /// <summary>Starts a stopped or crashed node again on its ports; it rejoins the cluster.</summary>
    public async Task RestartAsync(ClusterNode node)
    {
        foreach (var other in Running)
        {
            await SetThrottleAsync(other, node, Unthrottled.Instance);
        }

        await node.StartAsync();
        await AwaitConvergenceAsync();
    }

    /// <summary>Which running node hosts the shard of <paramref name="phone"/>, if any.</summary>
    public async Task<ClusterNode?> NodeHostingAsync(string phone)
    {
        var shard = UserShard.ShardIdOf(phone);
        foreach (var node in Running)
        {
            if ((await node.HostedShardsAsync()).Contains(shard))
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>What every node saw: membership, reachability, and the tail of its log.</summary>
    public string Report(int logLines = 40)
    {
        var report = new StringBuilder("---- cluster report ----\n");
        foreach (var node in _nodes)
        {
            report.AppendLine($"{node}: {(node.IsRunning ? "running" : "stopped")}");
            if (node.IsRunning)
            {
                report.AppendLine($"  up: {string.Join(", ", node.UpMembers().Select(a => a.Port))}");
                report.AppendLine($"  unreachable: {string.Join(", ", node.UnreachableMembers().Select(a => a.Port))}");
            }

            foreach (var line in node.Log.Lines.TakeLast(logLines))
            {
                report.Append("  | ").AppendLine(line);
            }
        }

        return report.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Where(n => n.IsRunning))
        {
            await node.CrashAsync();
        }

        await _database.DisposeAsync();
    }
}
