using Akka;
using Akka.Actor;
using Akka.Event;
using ByteString = Akka.IO.ByteString;
using Akka.Streams;
using Akka.Streams.Dsl;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Diagnostics;
using AkkaChat.Node.Modules;
using AkkaChat.Node.Transport;
using AkkaChat.Protocol;
using Error = AkkaChat.Protocol.Messages.Error;

namespace AkkaChat.Node.Connections;

/// <summary>
/// Parent of every <see cref="ConnectionActor"/>. Takes each accepted socket from the
/// <see cref="TcpListener"/>, enforces the connection limit, and runs the socket's stream.
/// <para>Supervision: a connection that throws is stopped, never restarted. Its socket closes with
/// it and the client reconnects; a restart could not resume a half-read byte stream, and every
/// durable thing lives in the user's actor, not here. One connection's crash touches no other.</para>
/// </summary>
public sealed class ConnectionsSupervisor : ReceiveActor
{
    private readonly AkkaChatSettings _settings;
    private readonly RuntimeSettingsSource _runtime;
    private readonly IActorRef _users;
    private readonly FrameRoutes _routes;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IMaterializer _materializer;
    /// <summary>Connection actors are named c-1, c-2, ...; the stream supervisor is a child too.</summary>
    private const string ConnectionNamePrefix = "c-";

    private long _nextId;
    private int _open;
    private IActorRef? _closeAllRequester;
    // Logged-in connections of this node by phone (from SessionStarted), for kick and user queries.
    private readonly Dictionary<string, HashSet<IActorRef>> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, (string Phone, string Remote)> _sessionOf = new();
    private readonly Dictionary<IActorRef, string> _remoteOf = new();
    private readonly Dictionary<IActorRef, string> _transportOf = new();
    private const string Tcp = "tcp";
    private const string WebSocket = "websocket";

    public ConnectionsSupervisor(AkkaChatSettings settings, RuntimeSettingsSource runtime, IActorRef users, FrameRoutes routes)
    {
        _routes = routes;
        _settings = settings;
        _runtime = runtime;
        _users = users;
        _materializer = Context.Materializer();

        Receive<IncomingConnection>(incoming => incoming.HandleWith(Admit(incoming.RemoteAddress.ToString() ?? "?", Tcp), _materializer));
        Receive<AdmitConnection>(admit => Sender.Tell(new Admitted(Admit(admit.RemoteAddress, WebSocket))));
        Receive<Sessions.SessionStarted>(started => AddSession(started));
        Receive<CloseSessions>(close => Sender.Tell(new SessionsOf(close.Phone, CloseSessionsOf(close))));
        Receive<QuerySessions>(query => Sender.Tell(new SessionsOf(query.Phone, SessionsOfPhone(query.Phone))));
        Receive<CountSessions>(_ => Sender.Tell(new SessionCount(_sessions.Count, _sessionOf.Count, _transportOf.Count(t => t.Value == Tcp), _transportOf.Count(t => t.Value == WebSocket))));
        Receive<Terminated>(terminated =>
        {
            RemoveSession(terminated.ActorRef);
            _remoteOf.Remove(terminated.ActorRef);
            _transportOf.Remove(terminated.ActorRef);
            _open--;
            if (_open == 0 && _closeAllRequester is not null)
            {
                _closeAllRequester.Tell(Akka.Done.Instance);
            }
        });
        Receive<CloseAll>(_ =>
        {
            _log.Info("Closing {0} connections", _open);
            _closeAllRequester = Sender;
            foreach (var child in Context.GetChildren().Where(c => c.Path.Name.StartsWith(ConnectionNamePrefix, StringComparison.Ordinal)))
            {
                child.Tell(ConnectionActor.NodeShuttingDown.Instance);
            }

            if (_open == 0)
            {
                Sender.Tell(Akka.Done.Instance);
            }
        });
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(Sessions.SessionStarted));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    public static Props Props(AkkaChatSettings settings, RuntimeSettingsSource runtime, IActorRef users, FrameRoutes routes) =>
        Akka.Actor.Props.Create(() => new ConnectionsSupervisor(settings, runtime, users, routes));

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(Decider.From(_ => Directive.Stop));

    /// <summary>
    /// The byte flow of one new connection of any transport: a <see cref="ConnectionStage"/> run by a
    /// new <see cref="ConnectionActor"/>, or, past the connection limit or while shutting down, a flow
    /// that answers ERROR{OVERLOADED} (or nothing) and ends. Every transport shares the one limit.
    /// </summary>
    private Flow<ByteString, ByteString, NotUsed> Admit(string remoteAddress, string transport)
    {
        if (_closeAllRequester is not null)
        {
            return Flow.FromSinkAndSource<ByteString, ByteString, NotUsed>(Sink.Cancelled<ByteString>(), Source.Empty<ByteString>());
        }

        var limit = _runtime.Current.MaxConnections;
        if (_open >= limit)
        {
            _log.Warning("Refusing connection from {0}: {1} connections open, limit {2}", remoteAddress, _open, limit);
            NodeMetrics.Get(Context.System).ConnectionsRefused.Add(1, new KeyValuePair<string, object?>("transport", transport));
            var overloaded = ByteString.FromBytes(FrameWriter.ToBytes(Error.Of(ErrorCode.Overloaded, "node is at its connection limit")));
            return Flow.FromSinkAndSource<ByteString, ByteString, NotUsed>(Sink.Ignore<ByteString>().MapMaterializedValue(_ => NotUsed.Instance), Source.Single(overloaded));
        }

        var connection = Context.ActorOf(
            ConnectionActor.Props(_settings.Connection, _runtime, _users, _routes, remoteAddress),
            ConnectionNamePrefix + ++_nextId);
        Context.Watch(connection);
        _remoteOf[connection] = remoteAddress;
        _transportOf[connection] = transport;
        _open++;
        NodeMetrics.Get(Context.System).ConnectionsAccepted.Add(1, new KeyValuePair<string, object?>("transport", transport));
        return Flow.FromGraph(new ConnectionStage(connection, _settings.ReceiveWindowFrames, _settings.Transport.SendBufferBytes, _settings.Transport.SlowReaderTimeout));
    }

    private void AddSession(Sessions.SessionStarted started)
    {
        // Only this supervisor's children: in-process test nodes share no event stream, but be exact anyway.
        if (!_remoteOf.TryGetValue(started.Connection, out var remote))
        {
            return;
        }

        RemoveSession(started.Connection);
        _sessionOf[started.Connection] = (started.Phone, remote);
        if (!_sessions.TryGetValue(started.Phone, out var set))
        {
            _sessions[started.Phone] = set = new HashSet<IActorRef>();
        }

        set.Add(started.Connection);
    }

    private void RemoveSession(IActorRef connection)
    {
        if (_sessionOf.Remove(connection, out var session) && _sessions.TryGetValue(session.Phone, out var set))
        {
            set.Remove(connection);
            if (set.Count == 0)
            {
                _sessions.Remove(session.Phone);
            }
        }
    }

    private IReadOnlyList<SessionInfo> SessionsOfPhone(string phone) =>
        _sessions.TryGetValue(phone, out var set)
            ? set.Select(c => new SessionInfo(c, _sessionOf[c].Remote)).OrderBy(s => s.Connection.Path.Name, StringComparer.Ordinal).ToList()
            : [];

    private IReadOnlyList<SessionInfo> CloseSessionsOf(CloseSessions close)
    {
        var sessions = SessionsOfPhone(close.Phone);
        foreach (var session in sessions)
        {
            _log.Info("Closing connection {0} of {1} from {2}: {3}", session.Connection.Path.Name, close.Phone, session.Remote, close.Reason);
            session.Connection.Tell(new ConnectionActor.Kick(close.Reason));
        }

        return sessions;
    }

    /// <summary>
    /// Local only: close every logged-in connection of <paramref name="Phone"/> on this node (an
    /// operator's kick). Each gets ERROR{FORBIDDEN, Reason} and is closed; answered with
    /// <see cref="SessionsOf"/>, the connections told to close (none when the user is not connected here).
    /// </summary>
    public sealed record CloseSessions(string Phone, string Reason);

    /// <summary>Local only: the logged-in connections of <paramref name="Phone"/> on this node; answered with <see cref="SessionsOf"/>.</summary>
    public sealed record QuerySessions(string Phone);

    public sealed record SessionsOf(string Phone, IReadOnlyList<SessionInfo> Sessions);

    /// <summary>One logged-in connection: its actor and the client's address.</summary>
    public sealed record SessionInfo(IActorRef Connection, string Remote);

    /// <summary>Local only: how many users and logged-in connections this node holds; answered with <see cref="SessionCount"/>.</summary>
    public sealed class CountSessions
    {
        public static readonly CountSessions Instance = new();
    }

    /// <summary>Users and connections logged in here; open connections (logged in or not) by transport.</summary>
    public sealed record SessionCount(int Users, int LoggedIn, int Tcp, int WebSocket);

    /// <summary>
    /// From a transport other than TCP (the WebSocket endpoint): admit one connection from
    /// <paramref name="RemoteAddress"/>. Answered with <see cref="Admitted"/>, whose flow the transport
    /// must run exactly once (a connection actor waits for its stage).
    /// </summary>
    public sealed record AdmitConnection(string RemoteAddress);

    /// <summary>The flow of frames (one frame per element, both ways) of an admitted connection.</summary>
    public sealed record Admitted(Flow<ByteString, ByteString, NotUsed> Flow);

    /// <summary>Close every connection and accept no more; answered with Done once all are closed.</summary>
    public sealed class CloseAll
    {
        public static readonly CloseAll Instance = new();
    }
}
