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

    public ConnectionsSupervisor(AkkaChatSettings settings, RuntimeSettingsSource runtime, IActorRef users, FrameRoutes routes)
    {
        _routes = routes;
        _settings = settings;
        _runtime = runtime;
        _users = users;
        _materializer = Context.Materializer();

        Receive<IncomingConnection>(Accept);
        Receive<Terminated>(_ =>
        {
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

    public static Props Props(AkkaChatSettings settings, RuntimeSettingsSource runtime, IActorRef users, FrameRoutes routes) =>
        Akka.Actor.Props.Create(() => new ConnectionsSupervisor(settings, runtime, users, routes));

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(Decider.From(_ => Directive.Stop));

    private void Accept(IncomingConnection incoming)
    {
        if (_closeAllRequester is not null)
        {
            incoming.HandleWith(Flow.FromSinkAndSource<ByteString, ByteString, NotUsed>(Sink.Cancelled<ByteString>(), Source.Empty<ByteString>()), _materializer);
            return;
        }

        var limit = _runtime.Current.MaxConnections;
        if (_open >= limit)
        {
            _log.Warning("Refusing connection from {0}: {1} connections open, limit {2}", incoming.RemoteAddress, _open, limit);
            NodeMetrics.ConnectionsRefused.Add(1);
            var overloaded = ByteString.FromBytes(FrameWriter.ToBytes(Error.Of(ErrorCode.Overloaded, "node is at its connection limit")));
            incoming.HandleWith(Flow.FromSinkAndSource<ByteString, ByteString, NotUsed>(Sink.Ignore<ByteString>().MapMaterializedValue(_ => NotUsed.Instance), Source.Single(overloaded)), _materializer);
            return;
        }

        var connection = Context.ActorOf(
            ConnectionActor.Props(_settings.Connection, _runtime, _users, _routes, incoming.RemoteAddress.ToString() ?? "?"),
            ConnectionNamePrefix + ++_nextId);
        Context.Watch(connection);
        _open++;
        NodeMetrics.ConnectionsAccepted.Add(1);
        incoming.HandleWith(
            Flow.FromGraph(new ConnectionStage(connection, _settings.ReceiveWindowFrames, _settings.Transport.SendBufferBytes, _settings.Transport.SlowReaderTimeout)),
            _materializer);
    }

    /// <summary>Close every connection and accept no more; answered with Done once all are closed.</summary>
    public sealed class CloseAll
    {
        public static readonly CloseAll Instance = new();
    }
}
