using Akka.Actor;
using Akka.Event;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Diagnostics;
using AkkaChat.Node.Modules;
using AkkaChat.Node.Transport;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;
using ProtocolError = AkkaChat.Protocol.Messages.Error;

namespace AkkaChat.Node.Connections;

/// <summary>
/// One client connection, as a state machine:
/// <code>
/// WaitingForStage --stage attached--> AwaitingAuth --AUTH_VERIFY/AUTH_LOGIN--> Authenticating --AUTH_OK--> Active
///                                          |                                        |                    |
///                                          +--- anything else, AUTH_FAILED ---------+--- REPLACED, idle, protocol error --> Closing
/// </code>
/// It speaks the wire protocol with its <see cref="ConnectionStage"/>. Each client frame goes to the
/// handler that <see cref="FrameRoutes"/> names for its type in the current phase (the feature
/// modules declare them); whatever server-to-client message a module actor sends back is written.
/// The connection itself owns only login, the session's attachment to its user actor, keep-alive
/// timing and closing. It holds no durable state: when it dies, the socket closes
/// and the client logs in again; everything queued for it waits in the user's journal.
/// <para>An untyped actor with one switch per state, because there is one per socket: it allocates
/// no handler tables per instance, no stash until a frame must wait (bounded by the receive
/// window), and no timer scheduler until it times something (<see cref="SingleTimers"/>).</para>
/// </summary>
public sealed class ConnectionActor : UntypedActor, IConnection
{
    private readonly ConnectionSettings _settings;
    private readonly RuntimeSettingsSource _runtime;
    private readonly IActorRef _users;
    private readonly FrameRoutes _routes;
    private readonly string _remote;

    private State _state = State.WaitingForStage;
    private IActorRef _stage = ActorRefs.Nobody;
    private string? _phone;
    private IActorRef? _user; // the user actor this session is attached to, watched
    private long _loggedInAtMs; // AUTH_OK.server_time_ms: ranks this session against other logins
    private long _lastReceivedMs = Environment.TickCount64;
    private long _openedAtMs; // when the stage attached: the login deadline counts from it
    private IdleSweep.Registration? _sweepRegistration; // this connection's entry in the node's sweep, from the stage's attach on
    private List<object>? _held; // messages that wait for the next state, in arrival order
    private bool _awaiting; // a handler waits for a task: client frames are held until it completes
    private long _resumingSinceMs = -1; // while the session asks to be attached again; -1 when attached
    private bool _passivated; // the user actor passivated while this session was idle: woken by WakeSession
    private TimeSpan _resumeDelay; // the wait before the next ResumeSession
    private Diagnostics.NodeMetrics? _metrics;
    // SENDs read and not yet answered, by client_msg_id: when each was read (for the SEND_ACK latency
    // and the trace's "accepted" hop). Bounded: past MaxSendsInFlight the oldest reading is not timed.
    private Dictionary<string, (long Ticks, long UnixMs)>? _sendsInFlight;
    private const int MaxSendsInFlight = 1024;
    private int _writtenSinceReport; // queued items handed to the socket since the last ItemsWritten
    private Dictionary<string, long>? _unanswered; // SENDs handed on, by client_msg_id: when their answer is overdue

    public ConnectionActor(ConnectionSettings settings, RuntimeSettingsSource runtime, IActorRef users, FrameRoutes routes, string remote)
    {
        _settings = settings;
        _runtime = runtime;
        _users = users;
        _routes = routes;
        _remote = remote;
    }

    private enum State
    {
        WaitingForStage,
        AwaitingAuth,
        Authenticating,
        Active,
        Closing,
    }

    // Created on the first timer (login, close, resume, answer check): an idle connection holds none.
    private SingleTimers? _timers;

    private SingleTimers Timers => _timers ??= new SingleTimers(Self, Context.System.Scheduler);

    public static Props Props(ConnectionSettings settings, RuntimeSettingsSource runtime, IActorRef users, FrameRoutes routes, string remote) =>
        Akka.Actor.Props.Create(() => new ConnectionActor(settings, runtime, users, routes, remote));

    private string Id => Self.Path.Name;

    private ILoggingAdapter Log => Context.GetLogger();

    private Diagnostics.NodeMetrics Metrics => _metrics ??= Diagnostics.NodeMetrics.Get(Context.System);

    protected override void OnReceive(object message)
    {
        if (message is SingleTimers.Fired fired)
        {
            // A timer cancelled or started again after it fired is dropped, as with Akka's timers.
            if (_timers?.Accept(fired) is not { } key)
            {
                return;
            }

            message = key;
        }

        switch (_state)
        {
            case State.WaitingForStage:
                WaitingForStage(message);
                break;
            case State.AwaitingAuth:
                AwaitingAuth(message);
                break;
            case State.Authenticating:
                Authenticating(message);
                break;
            case State.Active:
                Active(message);
                break;
            case State.Closing:
                Closing(message);
                break;
        }
    }

    /// <summary>
    /// Pending timers are cancelled, and the sweep no longer holds this actor once it has stopped
    /// (see <see cref="IdleSweep.Registration"/>).
    /// </summary>
    protected override void PostStop()
    {
        _timers?.CancelAll();
        _sweepRegistration?.Cancel();
        base.PostStop();
    }

    // ---- states ----

    private void WaitingForStage(object message)
    {
        if (message is ConnectionStage.Attached attached)
        {
            _stage = attached.Stage;
            _openedAtMs = Environment.TickCount64;
            Log.Debug("Connection {0} from {1} opened", Id, _remote);
            var sweep = IdleSweep.Get(Context.System);
            _sweepRegistration = sweep.Register(Self);
            sweep.WhenSilent(_sweepRegistration, _runtime, _lastReceivedMs);
            sweep.WhenLoginDue(_sweepRegistration, _openedAtMs + (long)_settings.LoginTimeoutOrDefault.TotalMilliseconds);
            Become(State.AwaitingAuth);
            return;
        }

        Hold(message);
    }

    private void AwaitingAuth(object message)
    {
        switch (message)
        {
            case ConnectionStage.FrameReceived when _awaiting:
                Hold(message); // bounded by the receive window
                break;
            case ConnectionStage.FrameReceived received:
                HandleFrameBeforeLogin(received.Frame);
                break;
            case AuthCodeSent sent:
                Write(sent);
                break;
            case ProtocolError error:
                WriteError(error);
                break;
            default:
                HandleCommon(message);
                break;
        }
    }

    private void Authenticating(object message)
    {
        switch (message)
        {
            case AuthOk ok:
                _timers?.Cancel(AuthTimedOut.Instance);
                _loggedInAtMs = ok.ServerTimeMs;
                WatchUser(Sender);
                Write(ok);
                Metrics.Logins.Add(1);
                Log.Debug("Connection {0}: {1} logged in from {2}", Id, _phone, _remote);
                Context.System.EventStream.Publish(new Sessions.SessionStarted(_phone!, Self));
                Become(State.Active);
                _routes.LoggedIn(this);
                break;
            case ProtocolError error:
                _timers?.Cancel(AuthTimedOut.Instance);
                WriteError(error);
                break;
            case AuthTimedOut:
                Fail(ErrorCode.Internal, "login timed out; try again");
                break;
            case ConnectionStage.FrameReceived:
                Hold(message); // bounded by the receive window
                break;
            default:
                HandleCommon(message);
                break;
        }
    }

    private void Active(object message)
    {
        switch (message)
        {
            case ConnectionStage.FrameReceived when _awaiting:
                Hold(message); // bounded by the receive window
                break;
            case ConnectionStage.FrameReceived received:
                Dispatch(received.Frame, ConnectionPhase.LoggedIn);
                break;
            case ProtocolError error:
                _unanswered?.Remove(error.Ref);
                AnswerSend(error);
                WriteError(error);
                break;
            case SendAck ack:
                _unanswered?.Remove(ack.ClientMsgId);
                AnswerSend(ack);
                Management.MessageTrace.Get(Context.System).RecordWritten(ack, Self);
                Write(ack);
                break;
            case AnswerCheck:
                AnswerOverdueSends();
                break;
            case IMessage reply when FrameCodec.IsServerToClient(reply):
                AnswerSend(reply);
                Management.MessageTrace.Get(Context.System).RecordWritten(reply, Self);
                Write(reply, QueuedSeq(reply)); // whatever a module actor answers: SEND_ACK, DELIVER, RECEIPT, ...
                break;
            case ConnectionStage.Written written:
                ReportWritten(written);
                break;
            case SessionReplaced:
                Fail(ErrorCode.Replaced, "logged in elsewhere");
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_user):
                Resume("its user actor stopped");
                break;
            case SessionInterrupted:
                Resume("its user actor restarted");
                break;
            case SessionResumed:
                _timers?.Cancel(ResumeRetry.Instance);
                _resumingSinceMs = -1;
                _passivated = false;
                WatchUser(Sender);
                break;
            case SessionPassivated when Sender.Equals(_user) && _resumingSinceMs < 0:
                // The user actor stops while this session is idle (akkachat.users.passivate-logged-in):
                // stay open without it and do not resume on its Terminated; PING is answered here, and
                // the next message for the user starts it again, which sends WakeSession.
                Context.Unwatch(_user);
                _user = null;
                _passivated = true;
                break;
            case WakeSession when _passivated:
                // Both come from incarnations of the user actor on one node: a WakeSession of the next
                // incarnation cannot overtake the SessionPassivated of the one before.
                _passivated = false;
                Resume("its user actor woke after passivating");
                break;
            case ResumeRetry:
                RetryResume();
                break;
            default:
                HandleCommon(message);
                break;
        }
    }

    private void Closing(object message)
    {
        if (message is ConnectionStage.Disconnected or CloseTimedOut)
        {
            Context.Stop(Self);
        }

        // nothing more is read or written
    }

    private void HandleCommon(object message)
    {
        switch (message)
        {
            case ConnectionStage.ProtocolViolation violation:
                Fail(violation.Error.Code, violation.Error.Message);
                break;
            case ConnectionStage.Disconnected disconnected:
                Log.Debug("Connection {0} ({1}) {2}", Id, _phone ?? "not logged in", disconnected.Reason);
                Context.Stop(Self);
                break;
            case IdleSweep.Silent:
                CheckSilence();
                break;
            case IdleSweep.LoginDue:
                CheckLoginDeadline();
                break;
            case Awaited awaited:
                ContinueAfterWait(awaited);
                break;
            case Kick kick:
                Fail(ErrorCode.Forbidden, kick.Reason);
                break;
            case NodeShuttingDown:
                _stage.Tell(ConnectionStage.Close.Instance);
                Timers.StartSingleTimer(CloseTimedOut.Instance, _settings.CloseTimeout);
                Become(State.Closing);
                break;
            case Terminated:
                break; // a user actor this connection no longer follows
            case SessionPassivated or WakeSession:
                break; // from a user actor this session does not follow, or already attached or resuming
            case ConnectionStage.Written:
                break; // the socket took items while the session is not active: nothing to pace
            case AnswerCheck:
                break; // not active: nothing more is answered
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>Keeps a message for the next state.</summary>
    private void Hold(object message) => (_held ??= new List<object>(4)).Add(message);

    /// <summary>Enters a state and hands it the messages held for it, in order.</summary>
    private void Become(State next)
    {
        _state = next;
        if (_held is not { Count: > 0 } held || next is State.Authenticating)
        {
            return;
        }

        _held = null;
        foreach (var message in held)
        {
            OnReceive(message);
        }
    }

    /// <summary>
    /// The user actor this session is attached to moved (its shard was handed off or its node went
    /// down) or restarted: attach again through the shard region. The client sees nothing but the
    /// unacknowledged items pushed once more (it drops duplicates by server_msg_id).
    /// <para>A request may be lost: sent while the old node is still a member, the region forwards it
    /// there. So it is repeated, with backoff, until SessionResumed arrives; a session not attached
    /// within <c>resume-give-up-after</c> is closed, and the client logs in again.</para>
    /// </summary>
    private void Resume(string why)
    {
        Log.Debug("Connection {0} ({1}): {2}; resuming the session", Id, _phone, why);
        if (_resumingSinceMs < 0)
        {
            _resumingSinceMs = Environment.TickCount64;
            _resumeDelay = _settings.ResumeBackoffMin;
        }

        SendResume();
    }

    private void RetryResume()
    {
        var waited = TimeSpan.FromMilliseconds(Environment.TickCount64 - _resumingSinceMs);
        if (waited >= _settings.ResumeGiveUpAfter)
        {
            Log.Warning("Connection {0} ({1}): its user actor did not answer for {2}; closing the session", Id, _phone, waited);
            Fail(ErrorCode.Internal, "session lost; log in again");
            return;
        }

        var doubled = _resumeDelay * 2;
        _resumeDelay = doubled < _settings.ResumeBackoffMax ? doubled : _settings.ResumeBackoffMax;
        SendResume();
    }

    private void SendResume()
    {
        _users.Tell(new ResumeSession { Phone = _phone, LoggedInAtMs = _loggedInAtMs });
        Timers.StartSingleTimer(ResumeRetry.Instance, _resumeDelay);
    }

    private void WatchUser(IActorRef user)
    {
        if (_user is not null && !_user.Equals(user))
        {
            Context.Unwatch(_user);
        }

        _user = user;
        Context.Watch(user);
    }

    // ---- frames from the client ----

    /// <summary>
    /// A frame before login: served by the module that routes its type for
    /// <see cref="ConnectionPhase.BeforeLogin"/>; a type the protocol does not allow before login
    /// closes the connection as UNAUTHENTICATED.
    /// </summary>
    private void HandleFrameBeforeLogin(Frame frame)
    {
        if (frame.Message is not null && frame.Type.IsClientToServer() && !frame.Type.IsAllowedBeforeAuth())
        {
            _lastReceivedMs = Environment.TickCount64;
            Fail(ErrorCode.Unauthenticated, $"{frame.Type} before login");
            _stage.Tell(ConnectionStage.FrameHandled.Instance);
            return;
        }

        Dispatch(frame, ConnectionPhase.BeforeLogin);
    }

    /// <summary>Runs the handler the routing table names for the frame's type in <paramref name="phase"/>.</summary>
    private void Dispatch(Frame frame, ConnectionPhase phase)
    {
        _lastReceivedMs = Environment.TickCount64;
        try
        {
            if (frame.Message is null || !frame.Type.IsClientToServer())
            {
                WriteError(ProtocolError.Of(ErrorCode.UnknownType, $"unknown frame type 0x{(byte)frame.Type:X2}"));
            }
            else if (_routes.Find(frame.Type, phase) is { } handler)
            {
                Metrics.FramesReceived.Add(1, new KeyValuePair<string, object?>("type", frame.Type.ToString()));
                if (frame.Message is Send send)
                {
                    SendRead(send);
                }

                handler(frame.Message, this);
            }
            else
            {
                WriteError(ProtocolError.Of(ErrorCode.UnknownType, $"{frame.Type} is not served by this node"));
            }
        }
        catch (ProtocolException e)
        {
            // Bad field values (a phone number, an address) are answered and the connection stays.
            WriteError(ProtocolError.Of(e.Code, e.Message));
        }
        finally
        {
            _stage.Tell(ConnectionStage.FrameHandled.Instance);
        }
    }

    // ---- what frame handlers see (IConnection) ----

    IActorRef IConnection.Self => Self;

    string? IConnection.Phone => _phone;

    string IConnection.SourceAddress => System.Net.IPEndPoint.TryParse(_remote, out var endpoint) ? endpoint.Address.ToString() : _remote;

    RuntimeSettings IConnection.Runtime => _runtime.Current;

    void IConnection.Write(IMessage message) => Write(message);

    void IConnection.Reply(ProtocolError error) => WriteError(error);

    bool IConnection.TryTakeSendBudget()
    {
        var runtime = _runtime.Current;
        return SendBudgets.Get(Context.System).TryTake(_phone!, Environment.TickCount64, runtime.SendPerSecond, runtime.SendBurst);
    }

    void IConnection.BeginLogin(string phone, IActorRef target, object command)
    {
        if (_state != State.AwaitingAuth)
        {
            throw new InvalidOperationException($"a login can begin only before login, not in {_state}");
        }

        _phone = phone;
        Timers.StartSingleTimer(AuthTimedOut.Instance, _settings.AuthTimeout);
        target.Tell(command, Self);
        Become(State.Authenticating);
    }

    void IConnection.Await<T>(Task<T> task, Action<T> onResult, Action<Exception> onFailure)
    {
        if (_awaiting)
        {
            throw new InvalidOperationException("a connection waits for one task at a time");
        }

        _awaiting = true;
        task.ContinueWith(
            static (t, state) =>
            {
                var (onResult, onFailure) = ((Action<T>, Action<Exception>))state!;
                return t.IsCompletedSuccessfully
                    ? new Awaited(() => onResult(t.Result))
                    : new Awaited(() => onFailure(t.Exception?.GetBaseException() ?? new TaskCanceledException()));
            },
            (onResult, onFailure),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default).PipeTo(Self);
    }

    /// <summary>A task a handler waited for completed: run its continuation, then the frames held meanwhile.</summary>
    private void ContinueAfterWait(Awaited awaited)
    {
        _awaiting = false;
        try
        {
            awaited.Continuation();
        }
        catch (ProtocolException e)
        {
            WriteError(ProtocolError.Of(e.Code, e.Message));
        }

        if (_state is State.AwaitingAuth or State.Active)
        {
            Become(_state);
        }
    }

    // ---- SEND to SEND_ACK ----

    private void SendRead(Send send)
    {
        var inFlight = _sendsInFlight ??= new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        if (inFlight.Count < MaxSendsInFlight)
        {
            inFlight[send.ClientMsgId] = (System.Diagnostics.Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        }
    }

    /// <summary>A SEND_ACK (or an ERROR naming the SEND) answers a SEND read earlier: time it and trace its acceptance.</summary>
    private void AnswerSend(IMessage reply)
    {
        if (_sendsInFlight is not { Count: > 0 } inFlight)
        {
            return;
        }

        if (reply is SendAck ack && inFlight.Remove(ack.ClientMsgId, out var read))
        {
            Metrics.SendAckSeconds.Record(System.Diagnostics.Stopwatch.GetElapsedTime(read.Ticks).TotalSeconds);
            Management.MessageTrace.Get(Context.System).Record(ack.ServerMsgId, read.UnixMs, $"SEND {ack.ClientMsgId} from {_phone} accepted on the sender's connection", Self);
        }
        else if (reply is ProtocolError { Ref.Length: > 0 } error)
        {
            inFlight.Remove(error.Ref);
        }
    }

    // ---- SEND answered in time ----

    void IConnection.AwaitAnswer(string clientMsgId)
    {
        var timeout = _settings.SendAnswerTimeoutOrDefault;
        (_unanswered ??= new Dictionary<string, long>(StringComparer.Ordinal))[clientMsgId] = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        if (_timers?.IsTimerActive(AnswerCheck.Instance) != true)
        {
            Timers.StartSingleTimer(AnswerCheck.Instance, timeout);
        }
    }

    /// <summary>
    /// Answers every SEND whose answer is overdue with ERROR{OVERLOADED, ref}: the node did not get
    /// to it in time (a backlog in the user actor or the journal, or a user actor that failed to
    /// recover and dropped what waited for it), and it was certainly not acknowledged. The
    /// connection stays open. A late SEND_ACK is still written; resending the same client_msg_id is
    /// safe.
    /// </summary>
    private void AnswerOverdueSends()
    {
        if (_unanswered is not { Count: > 0 } unanswered)
        {
            return;
        }

        var now = Environment.TickCount64;
        var next = long.MaxValue;
        foreach (var (id, due) in unanswered.ToList())
        {
            if (due <= now)
            {
                unanswered.Remove(id);
                OverloadLog.Get(Context.System).Note($"SEND {id} of {_phone} unanswered for {_settings.SendAnswerTimeoutOrDefault}");
                WriteError(ProtocolError.Of(ErrorCode.Overloaded, "no answer from the message store in time; not acknowledged, send it again later", id));
            }
            else
            {
                next = Math.Min(next, due);
            }
        }

        if (unanswered.Count == 0)
        {
            _unanswered = null;
        }
        else
        {
            Timers.StartSingleTimer(AnswerCheck.Instance, TimeSpan.FromMilliseconds(next - now));
        }
    }

    // ---- writing ----

    private void Write(IMessage message, ulong queuedSeq = 0)
    {
        if (message is ProtocolError error)
        {
            Metrics.ErrorsSent.Add(1, new KeyValuePair<string, object?>("code", error.ErrorCode.ToString()));
        }

        _stage.Tell(new ConnectionStage.Outgoing(Akka.IO.ByteString.FromBytes(FrameWriter.ToBytes(message)), queuedSeq));
    }

    /// <summary>The seq of a queued item the user actor pushes; 0 for any other frame.</summary>
    private static ulong QueuedSeq(IMessage message) => message switch
    {
        Deliver deliver => deliver.Seq,
        Receipt receipt => receipt.Seq,
        GroupInfo info => info.Seq,
        StatusUpdate status => status.Seq,
        _ => 0,
    };

    /// <summary>
    /// The socket took queued items: tell the user actor every half delivery window, so it pushes
    /// more while the socket has demand (it stays at most one window ahead of the last report).
    /// Counting items rather than seqs keeps reporting after a resume pushes lower seqs again.
    /// </summary>
    private void ReportWritten(ConnectionStage.Written written)
    {
        _writtenSinceReport += written.Count;
        if (_writtenSinceReport < Math.Max(1, _settings.DeliveryWindow / 2))
        {
            return;
        }

        _writtenSinceReport = 0;
        _users.Tell(new ItemsWritten { Phone = _phone, UpToSeq = written.UpToSeq });
    }

    /// <summary>Writes an ERROR; the codes after which the protocol closes the connection also close it.</summary>
    private void WriteError(ProtocolError error)
    {
        if (ProtocolRules.ClosesConnection(error.ErrorCode, error.Ref))
        {
            Fail(error.ErrorCode, error.Message);
            return;
        }

        Log.Debug("Connection {0} ({1}): {2} {3}", Id, _phone, error.ErrorCode, error.Message);
        Write(error);
    }

    /// <summary>Sends ERROR{code}, then closes the socket cleanly once it is written.</summary>
    private void Fail(ErrorCode code, string message)
    {
        Log.Debug("Connection {0} ({1}) closing: {2} {3}", Id, _phone ?? "not logged in", code, message);
        Write(ProtocolError.Of(code, message));
        _stage.Tell(ConnectionStage.Close.Instance);
        Timers.StartSingleTimer(CloseTimedOut.Instance, _settings.CloseTimeout);
        Become(State.Closing);
    }

    // ---- idle timeout and login deadline ----

    /// <summary>
    /// The node's <see cref="IdleSweep"/> says this connection may have been silent for the idle
    /// timeout: close it with IDLE_TIMEOUT if so, before login or after; otherwise hand the sweep the
    /// time of the last frame received. The timeout is read now, so a reloaded one applies.
    /// </summary>
    private void CheckSilence()
    {
        var idleTimeout = _runtime.Current.IdleTimeout;
        if (TimeSpan.FromMilliseconds(Environment.TickCount64 - _lastReceivedMs) >= idleTimeout)
        {
            Fail(ErrorCode.IdleTimeout, $"nothing received for {idleTimeout}");
            return;
        }

        IdleSweep.Get(Context.System).WhenSilent(_sweepRegistration!, _runtime, _lastReceivedMs);
    }

    /// <summary>
    /// <c>connection.login-timeout</c> has passed since the connection opened: one still not logged
    /// in is closed however many PINGs it sent (UNAUTHENTICATED: the spec's code for "not logged in",
    /// docs/protocol.md), or with IDLE_TIMEOUT if it is also silent, as the spec says for silence. A
    /// login in flight (Authenticating) is bounded by auth-timeout instead, and a logged-in
    /// connection has no login deadline.
    /// </summary>
    private void CheckLoginDeadline()
    {
        if (_state is not State.AwaitingAuth)
        {
            return;
        }

        var now = Environment.TickCount64;
        var idleTimeout = _runtime.Current.IdleTimeout;
        if (TimeSpan.FromMilliseconds(now - _lastReceivedMs) >= idleTimeout)
        {
            Fail(ErrorCode.IdleTimeout, $"nothing received for {idleTimeout}");
            return;
        }

        var loginTimeout = _settings.LoginTimeoutOrDefault;
        Fail(ErrorCode.Unauthenticated, $"not logged in within {loginTimeout} of connecting");
    }

    /// <summary>The node is stopping: close the socket cleanly, without an ERROR.</summary>
    public sealed class NodeShuttingDown
    {
        public static readonly NodeShuttingDown Instance = new();
    }

    /// <summary>
    /// An operator closes this connection (<c>pbm ... akkachat kick PHONE</c>): ERROR{FORBIDDEN,
    /// message = <paramref name="Reason"/>}, no ref, then the socket closes. The client may log in again.
    /// </summary>
    public sealed record Kick(string Reason);

    // ---- self messages ----

    private sealed class AuthTimedOut
    {
        public static readonly AuthTimedOut Instance = new();
    }

    private sealed class ResumeRetry
    {
        public static readonly ResumeRetry Instance = new();
    }

    private sealed class CloseTimedOut
    {
        public static readonly CloseTimedOut Instance = new();
    }

    private sealed class AnswerCheck
    {
        public static readonly AnswerCheck Instance = new();
    }

    private sealed record Awaited(Action Continuation);
}
