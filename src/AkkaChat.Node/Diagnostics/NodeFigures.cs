using Akka.Actor;
using Akka.Cluster.Sharding;
using AkkaChat.Node.Connections;
using AkkaChat.Node.Users;

namespace AkkaChat.Node.Diagnostics;

/// <summary>
/// The figures of one node that are states rather than counts: connections open by transport,
/// users and connections logged in, user shards and actors hosted, items queued in those actors.
/// <paramref name="UserActorsAnswered"/> says how many of the <paramref name="Entities"/> answered
/// the status query in time (the queued figure covers those).
/// </summary>
public sealed record NodeFigures(int Tcp, int WebSocket, int UsersOnline, int LoggedIn, int Shards, int Entities, long QueuedItems, int UserActorsAnswered)
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Asks this node's connections supervisor and user shard region, then every user actor running
    /// here (through the region, whose shards are local, so no query crosses nodes).
    /// </summary>
    public static async Task<NodeFigures> SampleAsync(ActorSystem system, CancellationToken cancel = default)
    {
        var sessions = await system.ActorSelection("/user/node/connections")
            .Ask<ConnectionsSupervisor.SessionCount>(ConnectionsSupervisor.CountSessions.Instance, AskTimeout, cancel);
        var region = ClusterSharding.Get(system).ShardRegion(UserShard.TypeName);
        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, AskTimeout, cancel);
        var entities = state.Shards.SelectMany(s => s.EntityIds).ToList();
        var statuses = await Task.WhenAll(entities.Select(async phone =>
        {
            try
            {
                return await region.Ask<UserActor.UserStatus>(new UserActor.StatusQuery(phone), AskTimeout, cancel);
            }
            catch (AskTimeoutException)
            {
                return null;
            }
        }));
        var answered = statuses.Where(s => s is not null).ToList();
        return new NodeFigures(sessions.Tcp, sessions.WebSocket, sessions.Users, sessions.LoggedIn, state.Shards.Count, entities.Count,
            answered.Sum(s => (long)s!.QueuedItems), answered.Count);
    }
}

/// <summary>
/// <c>/user/metrics</c>: samples <see cref="NodeFigures"/> and the cluster membership every <see cref="Interval"/> into the
/// node's gauges (<see cref="NodeMetrics.Gauges"/>), so a scrape reads figures at most that old and
/// never waits for actors. One sample at a time; a failed sample keeps the previous values.
/// </summary>
public sealed class NodeGauges : ReceiveActor, IWithTimers
{
    public const string Name = "metrics";

    /// <summary>Fixed: a scrape interval is 15 s or more, and a sample asks every user actor of the node.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    public NodeGauges()
    {
        var gauges = NodeMetrics.Get(Context.System).Gauges;
        Receive<Tick>(_ => NodeFigures.SampleAsync(Context.System).PipeTo(Self, failure: e => new Status.Failure(e)));
        Receive<NodeFigures>(f =>
        {
            Interlocked.Exchange(ref gauges.TcpConnections, f.Tcp);
            Interlocked.Exchange(ref gauges.WebSocketConnections, f.WebSocket);
            Interlocked.Exchange(ref gauges.UsersOnline, f.UsersOnline);
            Interlocked.Exchange(ref gauges.Shards, f.Shards);
            Interlocked.Exchange(ref gauges.Entities, f.Entities);
            Interlocked.Exchange(ref gauges.QueuedItems, f.QueuedItems);
            SampleCluster(gauges);
            Timers.StartSingleTimer(Tick.Instance, Tick.Instance, Interval);
        });
        Receive<Status.Failure>(_ =>
        {
            SampleCluster(gauges); // membership needs no actor to answer
            Timers.StartSingleTimer(Tick.Instance, Tick.Instance, Interval);
        });
    }

    private static void SampleCluster(NodeMetrics.GaugeValues gauges)
    {
        var state = Akka.Cluster.Cluster.Get(Context.System).State;
        Interlocked.Exchange(ref gauges.UpMembers, state.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up));
        Interlocked.Exchange(ref gauges.UnreachableMembers, state.Unreachable.Count);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props() => Akka.Actor.Props.Create(() => new NodeGauges());

    protected override void PreStart() => Self.Tell(Tick.Instance);

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }
}
