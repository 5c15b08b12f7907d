using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;
using AkkaChat.Node.Configuration;

namespace AkkaChat.Node.Transport;

/// <summary>
/// Binds the protocol port with Akka.Streams TCP and passes each accepted socket to the connections
/// supervisor. Accepting is backpressured through this actor, so a burst of connects queues in the
/// listen backlog rather than in memory. If binding fails the actor throws and its supervisor decides.
/// </summary>
public sealed class TcpListener : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly AkkaChatSettings _settings;
    private readonly IActorRef _connections;
    private Tcp.ServerBinding? _binding;

    public TcpListener(AkkaChatSettings settings, IActorRef connections)
    {
        _settings = settings;
        _connections = connections;

        Receive<Bound>(bound =>
        {
            _binding = bound.Binding;
            _log.Info("Listening for clients on {0}", bound.Binding.LocalAddress);
            Context.System.EventStream.Publish(new ListenerBound(bound.Binding.LocalAddress.ToString() ?? string.Empty));
        });
        Receive<Status.Failure>(f =>
        {
            Context.System.EventStream.Publish(new ListenerBindFailed(BindFailure(f.Cause)));
            throw new BindFailedException($"cannot listen on {_settings.ListenHost}:{_settings.ListenPort}: {f.Cause.Message}", f.Cause);
        });
        Receive<StreamInit>(_ => Sender.Tell(StreamAck.Instance));
        Receive<Tcp.IncomingConnection>(incoming =>
        {
            _connections.Tell(incoming);
            Sender.Tell(StreamAck.Instance);
        });
        Receive<StreamDone>(_ => _log.Info("Listener stopped accepting"));
    }

    public static Props Props(AkkaChatSettings settings, IActorRef connections) =>
        Akka.Actor.Props.Create(() => new TcpListener(settings, connections));

    protected override void PreStart()
    {
        var self = Self;
        var binding = TcpBind.Bind(Context.System, _settings.ListenHost, _settings.ListenPort, _settings.Backlog)
            .To(Sink.ActorRefWithAck<Tcp.IncomingConnection>(self, StreamInit.Instance, StreamAck.Instance, StreamDone.Instance))
            .Run(Context.Materializer());
        binding.PipeTo(self, success: b => new Bound(b));
    }

    protected override void PostStop() => _binding?.Unbind();

    private string BindFailure(Exception cause) => Hosting.ListenerWatch.Describe(_settings.ListenHost, _settings.ListenPort, cause);

    private sealed record Bound(Tcp.ServerBinding Binding);

    private sealed class StreamInit
    {
        public static readonly StreamInit Instance = new();
    }

    private sealed class StreamAck
    {
        public static readonly StreamAck Instance = new();
    }

    private sealed class StreamDone
    {
        public static readonly StreamDone Instance = new();
    }
}

/// <summary>Published on the event stream once the protocol port is bound.</summary>
public sealed record ListenerBound(string Address);

/// <summary>Published on the event stream when the protocol port cannot be bound; the reason is one line for the user.</summary>
public sealed record ListenerBindFailed(string Reason);

/// <summary>The protocol port could not be bound; the node cannot serve and shuts down.</summary>
public sealed class BindFailedException(string message, Exception inner) : Exception(message, inner);
