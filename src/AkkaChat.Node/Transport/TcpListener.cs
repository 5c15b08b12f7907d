using System.Net;
using System.Net.Sockets;
using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using AkkaChat.Node.Configuration;

namespace AkkaChat.Node.Transport;

/// <summary>
/// Binds the protocol port and passes each accepted socket to the connections supervisor as an
/// <see cref="IncomingConnection"/>. One accept is in flight at a time and the next starts only once
/// this actor has passed the last on, so a burst of connects queues in the listen backlog rather than
/// in memory. If binding fails the actor throws and its supervisor decides.
/// <para>With <c>akkachat.transport.diagnostic-layer</c> set to socket or stream (measurements only)
/// the listener keeps the sockets itself and the connections supervisor never sees them.</para>
/// </summary>
public sealed class TcpListener : ReceiveActor, IWithTimers
{
    /// <summary>Pause after a failed accept (descriptors exhausted) before the next.</summary>
    private TimeSpan AcceptRetryDelay => _settings.AcceptRetryDelay;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly AkkaChatSettings _settings;
    private readonly IActorRef _connections;
    private readonly List<Socket>? _heldSockets;
    private Socket? _listenSocket;
    private IActorRef? _dropFrames;
    private IMaterializer? _materializer;

    public TcpListener(AkkaChatSettings settings, IActorRef connections)
    {
        _settings = settings;
        _connections = connections;
        if (settings.Transport.DiagnosticLayer == PipelineLayer.Socket)
        {
            _heldSockets = [];
        }

        Receive<Accepted>(accepted =>
        {
            Hand(accepted.Socket);
            AcceptNext();
        });
        Receive<HeapReportCheck>(_ =>
        {
            HeapReport.AnswerIfRequested(_settings.Transport.DiagnosticHeapFile);
        });
        Receive<Status.Failure>(f =>
        {
            if (_listenSocket is null)
            {
                return; // the accept that failed was cut by PostStop
            }

            // Out of file descriptors (EMFILE/ENFILE) and the like: the pending connection stays in
            // the backlog; retrying at once would spin and flood the log, so wait a moment.
            _log.Warning("Accepting a connection failed: {0}; retrying in {1} ms", f.Cause.Message, AcceptRetryDelay.TotalMilliseconds);
            Timers.StartSingleTimer(RetryAccept.Instance, RetryAccept.Instance, AcceptRetryDelay);
        });
        Receive<RetryAccept>(_ => AcceptNext());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(AkkaChatSettings settings, IActorRef connections) =>
        Akka.Actor.Props.Create(() => new TcpListener(settings, connections));

    protected override void PreStart()
    {
        var endpoint = new IPEndPoint(Resolve(_settings.ListenHost), _settings.ListenPort);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endpoint);
            socket.Listen(_settings.Backlog);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            Context.System.EventStream.Publish(new ListenerBindFailed(Hosting.ListenerWatch.Describe(_settings.ListenHost, _settings.ListenPort, e)));
            throw new BindFailedException($"cannot listen on {_settings.ListenHost}:{_settings.ListenPort}: {e.Message}", e);
        }

        _listenSocket = socket;
        if (_settings.Transport.DiagnosticLayer != PipelineLayer.Full)
        {
            _log.Warning("akkachat.transport.diagnostic-layer = {0}: connections are held for measurement and not served", _settings.Transport.DiagnosticLayer);
        }

        if (_settings.Transport.DiagnosticHeapFile.Length > 0)
        {
            Timers.StartPeriodicTimer(HeapReportCheck.Instance, HeapReportCheck.Instance, TimeSpan.FromSeconds(1));
        }

        _log.Info("Listening for clients on {0}", socket.LocalEndPoint);
        Context.System.EventStream.Publish(new ListenerBound(socket.LocalEndPoint?.ToString() ?? string.Empty));
        AcceptNext();
    }

    protected override void PostStop()
    {
        var socket = _listenSocket;
        Volatile.Write(ref _listenSocket, null);
        socket?.Dispose();
        _log.Info("Listener stopped accepting");
        foreach (var held in _heldSockets ?? [])
        {
            held.Dispose();
        }
    }

    private void AcceptNext()
    {
        var socket = _listenSocket;
        if (socket is null)
        {
            return;
        }

        // Not PipeTo: the accept pending when the listener stops fails with "operation canceled",
        // and that failure must not become a dead letter (a stack trace in the log at every shutdown).
        var self = Self;
        socket.AcceptAsync().ContinueWith(
            accept =>
            {
                if (accept.IsCompletedSuccessfully)
                {
                    self.Tell(new Accepted(accept.Result));
                }
                else if (!ReferenceEquals(Volatile.Read(ref _listenSocket), null))
                {
                    self.Tell(new Status.Failure(accept.Exception?.GetBaseException() ?? new OperationCanceledException()));
                }
            },
            TaskContinuationOptions.ExecuteSynchronously);
    }

    private void Hand(Socket socket)
    {
        switch (_settings.Transport.DiagnosticLayer)
        {
            case PipelineLayer.Full:
                _connections.Tell(new IncomingConnection(socket));
                break;
            case PipelineLayer.Socket:
                _heldSockets!.Add(socket);
                _ = socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).AsTask(); // as SocketStage waits while idle
                break;
            case PipelineLayer.Stream:
                _materializer ??= Context.Materializer();
                _dropFrames ??= Context.ActorOf(Akka.Actor.Props.Create(() => new DropFrames()), "diagnostic-drop-frames");
                new IncomingConnection(socket).HandleWith(
                    Flow.FromGraph(new ConnectionStage(_dropFrames, _settings.ReceiveWindowFrames, _settings.Transport.SendBufferBytes, _settings.Transport.SlowReaderTimeout)),
                    _materializer);
                break;
        }
    }

    private static IPAddress Resolve(string host) =>
        IPAddress.TryParse(host, out var address) ? address
        : host == "localhost" ? IPAddress.Loopback
        : System.Net.Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new BindFailedException($"cannot resolve {host}", new SocketException((int)SocketError.HostNotFound));

    private sealed record Accepted(Socket Socket);

    private sealed class RetryAccept
    {
        public static readonly RetryAccept Instance = new();
    }

    private sealed class HeapReportCheck
    {
        public static readonly HeapReportCheck Instance = new();
    }

    /// <summary>Diagnostic layer "stream": stands in for every ConnectionActor and drops what it gets.</summary>
    private sealed class DropFrames : UntypedActor
    {
        protected override void OnReceive(object message)
        {
        }
    }
}

/// <summary>The protocol port could not be bound; the node cannot serve and shuts down.</summary>
public sealed class BindFailedException(string message, Exception inner) : Exception(message, inner);

/// <summary>Published on the event stream once the protocol port is bound.</summary>
public sealed record ListenerBound(string Address);

/// <summary>Published on the event stream when the protocol port cannot be bound; the reason is one line for the user.</summary>
public sealed record ListenerBindFailed(string Reason);
