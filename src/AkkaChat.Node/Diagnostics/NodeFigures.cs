using Akka.Actor;
using Akka.Cluster.Sharding;
using AkkaChat.Node.Connections;
using AkkaChat.Node.Users;

namespace AkkaChat.Node.Diagnostics;

/// <summary>
/// The figures of one node that are states rather than counts: connections open by transport,
/// users and connections logged in, user shards and actors hosted, items queued in those actors.
/// <paramref name="QueuedItems"/> covers every running user actor: each adds its own queue's
/// changes to the node's gauge as they happen.
/// </summary>
public sealed record NodeFigures(int Tcp, int WebSocket, int UsersOnline, int LoggedIn, int Shards, int Entities, long QueuedItems)
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Asks this node's connections supervisor and user shard region (two messages, whatever the
    /// number of users); the queued items are the node's running total, kept by the user actors.
    /// </summary>
    public static async Task<NodeFigures> SampleAsync(ActorSystem system, CancellationToken cancel = default)
    {
        var sessions = await system.ActorSelection("/user/node/connections")
            .Ask<ConnectionsSupervisor.SessionCount>(ConnectionsSupervisor.CountSessions.Instance, AskTimeout, cancel);
        var region = ClusterSharding.Get(system).ShardRegion(UserShard.TypeName);
        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, AskTimeout, cancel);
        var entities = state.Shards.Sum(s => s.EntityIds.Count);
        var queued = Interlocked.Read(ref NodeMetrics.Get(system).Gauges.QueuedItems);
        return new NodeFigures(sessions.Tcp, sessions.WebSocket, sessions.Users, sessions.LoggedIn, state.Shards.Count, entities, queued);
    }
}

/// <summary>
/// <c>/user/metrics</c>: samples <see cref="NodeFigures"/> and the cluster membership every <c>akkachat.metrics.sample-interval</c> (5 s) into the
/// node's gauges (<see cref="NodeMetrics.Gauges"/>), so a scrape reads figures at most that old and
/// never waits for actors. One sample at a time; a failed sample keeps the previous values.
/// </summary>
public sealed class NodeGauges : ReceiveActor, IWithTimers
{
    public const string Name = "metrics";

    /// <param name="interval">Between samples (akkachat.metrics.sample-interval): a scrape interval is usually 15 s or more; a sample is two messages to local actors.</param>
    private readonly TimeSpan _interval;

    public NodeGauges(TimeSpan interval)
    {
        _interval = interval;
        var gauges = NodeMetrics.Get(Context.System).Gauges;
        Receive<Tick>(_ => NodeFigures.SampleAsync(Context.System).PipeTo(Self, failure: e => new Status.Failure(e)));
        Receive<NodeFigures>(f =>
        {
            Interlocked.Exchange(ref gauges.TcpConnections, f.Tcp);
            Interlocked.Exchange(ref gauges.WebSocketConnections, f.WebSocket);
            Interlocked.Exchange(ref gauges.UsersOnline, f.UsersOnline);
            Interlocked.Exchange(ref gauges.Shards, f.Shards);
            Interlocked.Exchange(ref gauges.Entities, f.Entities);
            SampleCluster(gauges);
            Timers.StartSingleTimer(Tick.Instance, Tick.Instance, interval);
        });
        Receive<Status.Failure>(_ =>
        {
            SampleCluster(gauges); // membership needs no actor to answer
            Timers.StartSingleTimer(Tick.Instance, Tick.Instance, interval);
        });
    }

    private static void SampleCluster(NodeMetrics.GaugeValues gauges)
    {
        var state = Akka.Cluster.Cluster.Get(Context.System).State;
        Interlocked.Exchange(ref gauges.UpMembers, state.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up));
        Interlocked.Exchange(ref gauges.UnreachableMembers, state.Unreachable.Count);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(TimeSpan interval) => Akka.Actor.Props.Create(() => new NodeGauges(interval));

    // The first sample waits one interval: the connections supervisor and the shard region are
    // created as the node starts, and asking them before they exist only logs a dead letter.
    // Membership needs no actor, so it is sampled at once.
    protected override void PreStart()
    {
        SampleCluster(NodeMetrics.Get(Context.System).Gauges);
        Timers.StartSingleTimer(Tick.Instance, Tick.Instance, _interval);
    }

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }
}
