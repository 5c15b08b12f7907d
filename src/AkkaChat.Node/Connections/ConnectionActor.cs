using Akka.Actor;
using Akka.Event;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Contracts;
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
/// It speaks the wire protocol with its <see cref="ConnectionStage"/> and forwards commands to the
/// user actors through the shard region. It holds no durable state: when it dies, the socket closes
/// and the client logs in again; everything queued for it waits in the user's journal.
/// <para>An untyped actor with one switch per state, because there is one per socket: it allocates
/// no handler tables per instance, and no stash until a frame must wait (bounded by the receive
/// window).</para>
/// </summary>
public sealed class ConnectionActor : UntypedActor, IWithTimers
{
    /// <summary>How long AUTH_VERIFY / AUTH_LOGIN may wait for the user's actor.</summary>
    private static readonly TimeSpan AuthTimeout = TimeSpan.FromSeconds(15);

    /// <summary>How long a closing connection may take to flush before it is cut.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Longest wait between idle checks, so a hot-reloaded idle-timeout applies soon.</summary>
    private static readonly TimeSpan MaxIdleCheckInterval = TimeSpan.FromSeconds(10);

    private readonly AkkaChatSettings _settings;
    private readonly RuntimeSettingsSource _runtime;
    private readonly IActorRef _users;
    private readonly string _remote;

    private State _state = State.WaitingForStage;
    private IActorRef _stage = ActorRefs.Nobody;
    private string? _phone;
    private IActorRef? _user; // the user actor this session is attached to, watched
    private long _loggedInAtMs; // AUTH_OK.server_time_ms: ranks this session against other logins
    private long _lastReceivedMs = Environment.TickCount64;
    private TokenBucket _sendBudget;
    private List<object>? _held; // messages that wait for the next state, in arrival order

    public ConnectionActor(AkkaChatSettings settings, RuntimeSettingsSource runtime, IActorRef users, string remote)
    {
        _settings = settings;
        _runtime = runtime;
        _users = users;
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

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(AkkaChatSettings settings, RuntimeSettingsSource runtime, IActorRef users, string remote) =>
        Akka.Actor.Props.Create(() => new ConnectionActor(settings, runtime, users, remote));

    private string Id => Self.Path.Name;

    private ILoggingAdapter Log => Context.GetLogger();

    protected override void OnReceive(object message)
    {
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

    // ---- states ----

    private void WaitingForStage(object message)
    {
        if (message is ConnectionStage.Attached attached)
        {
            _stage = attached.Stage;
            Log.Debug("Connection {0} from {1} opened", Id, _remote);
            ScheduleIdleCheck(_runtime.Current.IdleTimeout);
            Become(State.AwaitingAuth);
            return;
        }

        Hold(message);
    }

    private void AwaitingAuth(object message)
    {
        switch (message)
        {
            case ConnectionStage.FrameReceived received:
                HandleFrame(received.Frame, authenticated: false);
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
                Timers.Cancel(AuthTimedOut.Instance);
                _loggedInAtMs = ok.ServerTimeMs;
                WatchUser(Sender);
                Write(ok);
                Log.Info("Connection {0}: {1} logged in from {2}", Id, _phone, _remote);
                Become(State.Active);
                break;
            case ProtocolError error:
                Timers.Cancel(AuthTimedOut.Instance);
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
            case ConnectionStage.FrameReceived received:
                HandleFrame(received.Frame, authenticated: true);
                break;
            case Deliver or Receipt or SendAck:
                Management.MessageTrace.Get(Context.System).RecordWritten((IMessage)message, Self);
                Write((IMessage)message);
                break;
            case ProtocolError error:
                WriteError(error);
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
                WatchUser(Sender);
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
                Log.Info("Connection {0} ({1}) {2}", Id, _phone ?? "not logged in", disconnected.Reason);
                Context.Stop(Self);
                break;
            case IdleCheck:
                CheckIdle();
                break;
            case NodeShuttingDown:
                _stage.Tell(ConnectionStage.Close.Instance);
                Timers.StartSingleTimer(CloseTimedOut.Instance, CloseTimedOut.Instance, CloseTimeout);
                Become(State.Closing);
                break;
            case Terminated:
                break; // a user actor this connection no longer follows
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
    /// </summary>
    private void Resume(string why)
    {
        Log.Info("Connection {0} ({1}): {2}; resuming the session", Id, _phone, why);
        _users.Tell(new ResumeSession { Phone = _phone, LoggedInAtMs = _loggedInAtMs });
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

    private void HandleFrame(Frame frame, bool authenticated)
    {
        _lastReceivedMs = Environment.TickCount64;
        try
        {
            if (frame.Message is null || !frame.Type.IsClientToServer())
            {
                WriteError(ProtocolError.Of(ErrorCode.UnknownType, $"unknown frame type 0x{(byte)frame.Type:X2}"));
                return;
            }

            if (!authenticated && !frame.Type.IsAllowedBeforeAuth())
            {
                Fail(ErrorCode.Unauthenticated, $"{frame.Type} before login");
                return;
            }

            switch (frame.Message)
            {
                case Ping ping:
                    Write(new Pong { Nonce = ping.Nonce, ServerTimeMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
                    break;
                case AuthRequestCode request when !authenticated:
                    _users.Tell(new RequestCode { Phone = PhoneNumber.Parse(request.Phone).Value });
                    break;
                case AuthVerify verify when !authenticated:
                    BeginAuth(verify.Phone, new VerifyCode { Phone = PhoneNumber.Parse(verify.Phone).Value, Code = verify.Code, DeviceName = verify.DeviceName });
                    break;
                case AuthLogin login when !authenticated:
                    BeginAuth(login.Phone, new Login { Phone = PhoneNumber.Parse(login.Phone).Value, Token = login.Token });
                    break;
                case AuthRequestCode or AuthVerify or AuthLogin:
                    WriteError(ProtocolError.Of(ErrorCode.BadRequest, "already logged in"));
                    break;
                case Send send:
                    HandleSend(send);
                    break;
                case Ack ack:
                    if (ack.UpToSeq > 0)
                    {
                        _users.Tell(new AcknowledgeItems { Phone = _phone, UpToSeq = ack.UpToSeq });
                    }

                    break;
                case Read read:
                    _users.Tell(new MarkRead { Phone = _phone, From = PhoneNumber.Parse(read.From).Value, ServerMsgIds = { read.ServerMsgIds } });
                    break;
                default:
                    WriteError(ProtocolError.Of(ErrorCode.UnknownType, $"{frame.Type} is not served by this node"));
                    break;
            }
        }
        catch (ProtocolException e)
        {
            // Bad field values (a phone number, an address) are answered and the connection stays.
            WriteError(ProtocolError.Of(e.Code, e.Message, (frame.Message as Send)?.ClientMsgId ?? string.Empty));
        }
        finally
        {
            _stage.Tell(ConnectionStage.FrameHandled.Instance);
        }
    }

    private void BeginAuth(string phone, IMessage command)
    {
        _phone = phone;
        Timers.StartSingleTimer(AuthTimedOut.Instance, AuthTimedOut.Instance, AuthTimeout);
        _users.Tell(command);
        Become(State.Authenticating);
    }

    private void HandleSend(Send send)
    {
        if (send.ClientMsgId.Length == 0 || send.ClientMsgId.Length > _settings.MaxClientMsgIdLength)
        {
            WriteError(ProtocolError.Of(ErrorCode.BadRequest, $"client_msg_id must be 1 to {_settings.MaxClientMsgIdLength} characters", send.ClientMsgId));
            return;
        }

        var to = ChatAddress.Parse(send.To);
        if (to.IsGroup)
        {
            WriteError(ProtocolError.Of(ErrorCode.NotFound, $"group {to.GroupId} does not exist", send.ClientMsgId));
            return;
        }

        if (send.Body.Length > _settings.MaxBodyBytes)
        {
            WriteError(ProtocolError.Of(ErrorCode.TooLarge, $"body is {send.Body.Length} bytes; at most {_settings.MaxBodyBytes}", send.ClientMsgId));
            return;
        }

        var runtime = _runtime.Current;
        if (!_sendBudget.TryTake(Environment.TickCount64, runtime.SendPerSecond, runtime.SendBurst))
        {
            WriteError(ProtocolError.Of(ErrorCode.RateLimited, $"over {runtime.SendPerSecond}/s", send.ClientMsgId));
            return;
        }

        _users.Tell(new SubmitMessage
        {
            Phone = to.Value,
            From = _phone,
            ClientMsgId = send.ClientMsgId,
            Kind = send.Kind,
            Body = send.Body,
            MediaId = send.MediaId,
        });
    }

    // ---- writing ----

    private void Write(IMessage message) =>
        _stage.Tell(new ConnectionStage.Outgoing(Akka.IO.ByteString.FromBytes(FrameWriter.ToBytes(message))));

    /// <summary>Writes an ERROR; the codes after which the protocol closes the connection also close it.</summary>
    private void WriteError(ProtocolError error)
    {
        if (ClosesConnection(error.ErrorCode))
        {
            Fail(error.ErrorCode, error.Message);
            return;
        }

        Log.Debug("Connection {0} ({1}): {2} {3}", Id, _phone, error.ErrorCode, error.Message);
        Write(error);
    }

    private static bool ClosesConnection(ErrorCode code) => code is ErrorCode.UnsupportedVersion or ErrorCode.Malformed
        or ErrorCode.Unauthenticated or ErrorCode.AuthFailed or ErrorCode.Replaced or ErrorCode.IdleTimeout or ErrorCode.Overloaded;

    /// <summary>Sends ERROR{code}, then closes the socket cleanly once it is written.</summary>
    private void Fail(ErrorCode code, string message)
    {
        Log.Info("Connection {0} ({1}) closing: {2} {3}", Id, _phone ?? "not logged in", code, message);
        Write(ProtocolError.Of(code, message));
        _stage.Tell(ConnectionStage.Close.Instance);
        Timers.StartSingleTimer(CloseTimedOut.Instance, CloseTimedOut.Instance, CloseTimeout);
        Become(State.Closing);
    }

    // ---- idle timeout ----

    private void CheckIdle()
    {
        var idleTimeout = _runtime.Current.IdleTimeout;
        var idle = TimeSpan.FromMilliseconds(Environment.TickCount64 - _lastReceivedMs);
        if (idle >= idleTimeout)
        {
            Fail(ErrorCode.IdleTimeout, $"nothing received for {idleTimeout}");
            return;
        }

        ScheduleIdleCheck(idleTimeout - idle);
    }

    private void ScheduleIdleCheck(TimeSpan after) =>
        Timers.StartSingleTimer(IdleCheck.Instance, IdleCheck.Instance, after < MaxIdleCheckInterval ? after : MaxIdleCheckInterval);

    /// <summary>The node is stopping: close the socket cleanly, without an ERROR.</summary>
    public sealed class NodeShuttingDown
    {
        public static readonly NodeShuttingDown Instance = new();
    }

    // ---- self messages ----

    private sealed class IdleCheck
    {
        public static readonly IdleCheck Instance = new();
    }

    private sealed class AuthTimedOut
    {
        public static readonly AuthTimedOut Instance = new();
    }

    private sealed class CloseTimedOut
    {
        public static readonly CloseTimedOut Instance = new();
    }
}
