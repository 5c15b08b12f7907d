using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Cluster.Sharding;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Connections;
using AkkaChat.Node.Diagnostics;
using AkkaChat.Node.Users;

namespace AkkaChat.Node.Management;

/// <summary>
/// The node's management actor, <c>/user/management</c>, one per node:
/// <list type="bullet">
/// <item>cluster-wide hot reload: when this node's hot settings change (its --config file, or
/// <c>config reload</c>), it sends them to the peer of every other member, which validates and
/// applies them; a change that came from a peer is not sent on again;</item>
/// <item>answers peers' questions: current hot settings, the hops of a traced message, a user's
/// connections on this node and its user actor's status;</item>
/// <item>closes a user's connections on this node when an operator kicks the user;</item>
/// <item>counts failures per supervisor (from the error events supervisors log) for <c>supervision</c>.</item>
/// </list>
/// </summary>
public sealed class ManagementPeer : ReceiveActor
{
    public const string Name = "management";

    private readonly RuntimeSettingsSource _runtime;
    private readonly string _node;
    private readonly TimeSpan _localAskTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, int> _failures = new();
    private readonly Action<RuntimeSettings, RuntimeSettings> _onChanged;
    private RuntimeSettings? _lastFromPeer;

    public ManagementPeer(RuntimeSettingsSource runtime, string node, TimeSpan localAskTimeout)
    {
        _runtime = runtime;
        _node = node;
        _localAskTimeout = localAskTimeout;
        var self = Self;
        _onChanged = (_, next) => self.Tell(new LocalChange(next));

        Receive<LocalChange>(change => Publish(change.Next));
        Receive<RuntimeSettingsPublished>(Apply);
        Receive<RuntimeSettingsQuery>(_ => Sender.Tell(new RuntimeSettingsReport(_node, RuntimeSettingsHocon.Render(_runtime.Current))));
        Receive<TraceQuery>(q => Sender.Tell(new TraceHops(MessageTrace.Get(Context.System).Find(q.ServerMsgId))));
        Receive<Error>(CountFailure);
        Receive<SupervisionQuery>(_ => Sender.Tell(new SupervisionReport(new Dictionary<string, int>(_failures))));
        Receive<KickRequest>(kick => AnswerSessions(new ConnectionsSupervisor.CloseSessions(kick.Phone, "disconnected by an operator")));
        Receive<SessionsRequest>(query => AnswerSessions(new ConnectionsSupervisor.QuerySessions(query.Phone)));
        Receive<UserStatusRequest>(AnswerUserStatus);
    }

    private void AnswerSessions(object request)
    {
        var replyTo = Sender;
        var address = Cluster.Get(Context.System).SelfAddress;
        Context.System.ActorSelection("/user/node/connections")
            .Ask<ConnectionsSupervisor.SessionsOf>(request, _localAskTimeout)
            .ContinueWith(t => t.IsCompletedSuccessfully
                ? new SessionsReport(_node, t.Result.Sessions.Select(s => $"{s.Connection.Path.ToStringWithAddress(address)} from {s.Remote}").ToList())
                : new SessionsReport(_node, []))
            .PipeTo(replyTo);
    }

    private void AnswerUserStatus(UserStatusRequest request)
    {
        var replyTo = Sender;
        ClusterSharding.Get(Context.System).ShardRegion(UserShard.TypeName)
            .Ask<UserActor.UserStatus>(new UserActor.StatusQuery(request.Phone), _localAskTimeout)
            .ContinueWith(t => t.IsCompletedSuccessfully
                ? new UserStatusReport(_node, true, t.Result.Registered, t.Result.Session ?? string.Empty, t.Result.SessionSinceMs, t.Result.QueuedItems, t.Result.OutboxReceipts, t.Result.LastSessionEndedAtMs)
                : new UserStatusReport(_node, false, false, string.Empty, 0, 0, 0, 0))
            .PipeTo(replyTo);
    }

    /// <param name="localAskTimeout">How long the peer waits for this node's connections supervisor or a user actor (akkachat.management.peer-ask-timeout).</param>
    public static Props Props(RuntimeSettingsSource runtime, string node, TimeSpan localAskTimeout) =>
        Akka.Actor.Props.Create(() => new ManagementPeer(runtime, node, localAskTimeout));

    /// <summary>The peer on another member.</summary>
    public static ActorSelection At(ActorSystem system, Address member) =>
        system.ActorSelection(new RootActorPath(member) / "user" / Name);

    protected override void PreStart()
    {
        _runtime.Changed += _onChanged;
        Context.System.EventStream.Subscribe(Self, typeof(Error));
    }

    protected override void PostStop()
    {
        _runtime.Changed -= _onChanged;
        Context.System.EventStream.Unsubscribe(Self);
    }

    private void Publish(RuntimeSettings next)
    {
        if (next == _lastFromPeer)
        {
            return; // it came from a peer, which sent it to everyone
        }

        var cluster = Cluster.Get(Context.System);
        var message = new RuntimeSettingsPublished(_node, RuntimeSettingsHocon.Render(next));
        var peers = cluster.State.Members
            .Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining && m.Address != cluster.SelfAddress)
            .ToList();
        foreach (var member in peers)
        {
            At(Context.System, member.Address).Tell(message);
        }

        _log.Info("Hot settings changed here; sent to {0} other member(s): {1}", peers.Count, message.Hocon.Replace('\n', ';'));
    }

    private void Apply(RuntimeSettingsPublished published)
    {
        try
        {
            var next = RuntimeSettingsHocon.Parse(published.Hocon);
            var previous = _runtime.Current;
            _lastFromPeer = next;
            _runtime.Update(next);
            _log.Info("Applied hot settings from {0}: {1} -> {2}", published.Origin, previous, next);
        }
        catch (Exception e)
        {
            _log.Warning("Refused hot settings from {0}, keeping the running settings: {1}", published.Origin, e.Message);
        }
    }

    private void CountFailure(Error error)
    {
        // Supervisors log each failure of a child with the child as the source; count it against the parent.
        if (error.Cause is null || !error.LogSource.Contains('/'))
        {
            return;
        }

        var source = error.LogSource;
        var start = source.IndexOf("/user", StringComparison.Ordinal) is var u and >= 0 ? u : source.IndexOf("/system", StringComparison.Ordinal);
        if (start < 0)
        {
            return;
        }

        var path = source[start..];
        var supervisor = path[..Math.Max(path.LastIndexOf('/'), 1)];
        _failures[supervisor] = _failures.GetValueOrDefault(supervisor) + 1;
        NodeMetrics.Get(Context.System).SupervisorFailures.Add(1, new KeyValuePair<string, object?>("supervisor", SupervisorLabel(supervisor)));
    }

    /// <summary>The supervisor as a metric label: the user shards are one supervisor (one label, not one per shard).</summary>
    private static string SupervisorLabel(string supervisor) =>
        supervisor.StartsWith($"/system/sharding/{UserShard.TypeName}/", StringComparison.Ordinal) ? $"/system/sharding/{UserShard.TypeName}" : supervisor;

    private sealed record LocalChange(RuntimeSettings Next);

    /// <summary>Local only: failures counted per supervisor path since the node started.</summary>
    public sealed record SupervisionQuery
    {
        public static readonly SupervisionQuery Instance = new();
    }

    public sealed record SupervisionReport(IReadOnlyDictionary<string, int> FailuresBySupervisor);
}
