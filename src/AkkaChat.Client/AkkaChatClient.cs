using System.Runtime.CompilerServices;
using System.Threading.Channels;
using AkkaChat.Client.Internal;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Client;

/// <summary>
/// One user's session with an AkkaChat node over TCP.
/// <para>
/// Before login the client is a plain request/answer channel: <see cref="RequestCodeAsync"/>,
/// <see cref="VerifyAsync"/> and <see cref="LoginAsync"/>. After a successful verify or login it keeps
/// the session: when the connection is lost it reconnects with jittered exponential backoff, logs in
/// again with the stored token and writes again every send not yet answered, under its original
/// client_msg_id. The node's idempotency on (sender, client_msg_id) turns that at-least-once into
/// exactly-once. REPLACED and AUTH_FAILED end the session for good.
/// </para>
/// <para>
/// Incoming items are read from <see cref="ReadEventsAsync"/>. A queued item (DELIVER, RECEIPT) is
/// acknowledged once the application has moved past it: when it asks for the next event, or ends
/// the enumeration (break, return, or an exception leaving the loop). The ACK names the highest seq
/// up to which every item has been moved past, and one ACK covers all items moved past within
/// <see cref="ClientOptions.AckDelay"/>. Items the node sends again (after a reconnect) are dropped
/// by seq and by id, so the application sees each item once.
/// </para>
/// </summary>
public sealed partial class AkkaChatClient : IAsyncDisposable
{
    /// <summary>How long closing may wait for the last ACK to be written and the node to close its side.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);

    private readonly object _gate = new();
    private readonly Channel<ChatEvent> _events;
    private readonly DeliveryTracker _tracker;
    // Held from admitting a queued item to writing it into the event buffer: events leave in seq order.
    private readonly SemaphoreSlim _emitLock = new(1, 1);
    // One registration or login exchange at a time.
    private readonly SemaphoreSlim _authLock = new(1, 1);
    // Every send not yet answered, in the order SendAsync was called. The first _inFlight of them
    // may be written (at most MaxPendingSends); the rest wait for room, in order. Each entry is an
    // outstanding SendAsync call, as a semaphore's waiters would be: the client queues nothing the
    // application is not waiting for.
    private readonly OrderedDictionary<string, PendingSend> _sends = new(StringComparer.Ordinal);
    private int _inFlight;
    // Wakes the send writer, the one task that writes SEND frames, so they go out in call order.
    private readonly Channel<bool> _sendWakeUps = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    // Wakes the ACK writer; one pending wake-up is enough, whatever moved in between.
    private readonly Channel<bool> _ackWakeUps = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _lifetime = new();

    private Connection? _connection;
    private bool _ready;
    private TaskCompletionSource _readySignal = NewSignal();
    private Credentials? _credentials;
    private AkkaChatException? _terminal;
    private ConnectionState _state = ConnectionState.Disconnected;
    private Task _session = Task.CompletedTask;
    private Task _ackWriter = Task.CompletedTask;
    private Task _sendWriter = Task.CompletedTask;
    private Task _keepAlive = Task.CompletedTask;
    private int _enumerating;
    private int _disposed;

    public AkkaChatClient(ClientOptions? options = null)
    {
        Options = options ?? new ClientOptions();
        Options.Validate();
        _tracker = new DeliveryTracker(Options.DuplicateMemory);
        _events = Channel.CreateBounded<ChatEvent>(new BoundedChannelOptions(Options.EventBufferSize)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    public ClientOptions Options { get; }

    public ConnectionState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>Raised on every change of <see cref="State"/>, on a pool thread. Handlers must not block.</summary>
    public event Action<ConnectionState>? StateChanged;

    /// <summary>The logged-in user's credentials; null before login.</summary>
    public Credentials? Credentials
    {
        get
        {
            lock (_gate)
            {
                return _credentials;
            }
        }
    }

    /// <summary>Queued items received again and dropped, over the client's life.</summary>
    public long DuplicatesDropped => _tracker.DuplicatesDropped;

    /// <summary>Events received and not yet taken by the application (at most <see cref="ClientOptions.EventBufferSize"/>).</summary>
    public int BufferedEvents => _events.Reader.Count;

    /// <summary>Sends not yet answered: written, or waiting for room or for the connection.</summary>
    public int PendingSends
    {
        get
        {
            lock (_gate)
            {
                return _sends.Count;
            }
        }
    }

    /// <summary>
    /// The events of this session, in the order they arrived; see the class summary for when items
    /// are acknowledged. One enumeration at a time. The enumeration ends when the client is disposed,
    /// and throws <see cref="AkkaChatException"/> (REPLACED, AUTH_FAILED) after the last event when
    /// the node ended the session.
    /// </summary>
    public IAsyncEnumerable<ChatEvent> Events => ReadEventsAsync();

    /// <inheritdoc cref="Events"/>
    public async IAsyncEnumerable<ChatEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _enumerating, 1) == 1)
        {
            throw new InvalidOperationException("the events are already being enumerated");
        }

        ulong current = 0;
        try
        {
            var reader = _events.Reader;
            while (await reader.WaitToReadAsync(ct))
            {
                while (reader.TryRead(out var e))
                {
                    current = e.Seq;
                    yield return e;
                    MovedPast(current);
                    current = 0;
                }
            }
        }
        finally
        {
            // Ending the enumeration moves past the item it ended on.
            MovedPast(current);
            Volatile.Write(ref _enumerating, 0);
        }
    }

    // ---- connection, registration, login ----

    /// <summary>Opens the TCP connection now (the registration and login calls open it when needed).</summary>
    public async Task ConnectAsync(CancellationToken ct = default)
    {
        await _authLock.WaitAsync(ct);
        try
        {
            await EnsureConnectedAsync(ct);
        }
        finally
        {
            _authLock.Release();
        }
    }

    /// <summary>
    /// AUTH_REQUEST_CODE: the node issues a registration code for <paramref name="phone"/> and sends it
    /// by SMS; <see cref="AuthCodeSent.DevCode"/> carries it when the node reveals codes (development).
    /// </summary>
    public async Task<AuthCodeSent> RequestCodeAsync(string phone, CancellationToken ct = default)
    {
        var number = ParsePhone(phone);
        return await AuthExchangeAsync(conn => conn.RequestAsync<AuthCodeSent>(new AuthRequestCode { Phone = number }, Options.RequestTimeout, ct), ct);
    }

    /// <summary>
    /// AUTH_VERIFY: registers this device with the code and logs in. The returned credentials log
    /// the device in again later (<see cref="LoginAsync"/>); store them. A wrong code throws
    /// <see cref="AkkaChatException"/> with AUTH_FAILED (the node closes that connection).
    /// </summary>
    public async Task<Credentials> VerifyAsync(string phone, string code, string deviceName, CancellationToken ct = default)
    {
        var number = ParsePhone(phone);
        return await AuthExchangeAsync(async conn =>
        {
            var ok = await conn.RequestAsync<AuthOk>(new AuthVerify { Phone = number, Code = code, DeviceName = deviceName }, Options.RequestTimeout, ct);
            var credentials = new Credentials(number, ok.Token.ToByteArray());
            StartSession(conn, credentials);
            return credentials;
        }, ct);
    }

    /// <summary>
    /// AUTH_LOGIN with stored credentials. From here on the client keeps the session (reconnects,
    /// retries). Throws <see cref="AkkaChatException"/> with AUTH_FAILED for an unknown phone or token.
    /// </summary>
    public async Task<LoginResult> LoginAsync(Credentials credentials, CancellationToken ct = default)
    {
        var number = ParsePhone(credentials.Phone);
        return await AuthExchangeAsync(async conn =>
        {
            var ok = await conn.RequestAsync<AuthOk>(new AuthLogin { Phone = number, Token = ByteString.CopyFrom(credentials.Token) }, Options.RequestTimeout, ct);
            StartSession(conn, credentials with { Phone = number });
            return new LoginResult(number, ok.Node, ok.Pending, DateTimeOffset.FromUnixTimeMilliseconds(ok.ServerTimeMs));
        }, ct);
    }

    private async Task<T> AuthExchangeAsync<T>(Func<Connection, Task<T>> exchange, CancellationToken ct)
    {
        await _authLock.WaitAsync(ct);
        try
        {
            lock (_gate)
            {
                ThrowIfUnusable();
                if (_credentials is not null)
                {
                    throw new InvalidOperationException($"already logged in as {_credentials.Phone}");
                }
            }

            return await exchange(await EnsureConnectedAsync(ct));
        }
        finally
        {
            _authLock.Release();
        }
    }

    private async Task<Connection> EnsureConnectedAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            if (_connection is { IsClosed: false } open)
            {
                return open;
            }
        }

        SetState(ConnectionState.Connecting);
        Connection connection;
        try
        {
            connection = await Connection.OpenAsync(Options.Host, Options.Port, Options.ConnectTimeout, ct);
        }
        catch
        {
            SetState(ConnectionState.Disconnected);
            throw;
        }

        connection.Start(OnFrameAsync);
        lock (_gate)
        {
            _connection = connection;
        }

        _ = connection.Closed.ContinueWith(_ =>
        {
            bool stillCurrentWithoutSession;
            lock (_gate)
            {
                stillCurrentWithoutSession = ReferenceEquals(_connection, connection) && _credentials is null;
            }

            if (stillCurrentWithoutSession)
            {
                SetState(ConnectionState.Disconnected);
            }
        }, TaskScheduler.Default);
        SetState(ConnectionState.Connected);
        return connection;
    }

    private void StartSession(Connection connection, Credentials credentials)
    {
        lock (_gate)
        {
            _credentials = credentials;
        }

        BeginSessionOn(connection);
        _session = Task.Run(() => KeepSessionAsync(connection));
        _ackWriter = Task.Run(WriteAcksAsync);
        _sendWriter = Task.Run(WriteSendsAsync);
        _keepAlive = Task.Run(KeepAliveAsync);
    }

    /// <summary>
    /// Makes a logged-in connection the session's. The send writer then writes every pending send
    /// to it again, in order, before any newer one.
    /// </summary>
    private void BeginSessionOn(Connection connection)
    {
        lock (_gate)
        {
            if (_terminal is not null || _disposed != 0)
            {
                return;
            }

            _connection = connection;
            _ready = true;
            _readySignal.TrySetResult();
        }

        SetState(ConnectionState.Ready);
        WakeSendWriter();
        WakeAckWriter(); // the new connection has acknowledged nothing yet
    }

    /// <summary>Waits for the session's connection to end, then reconnects and logs in again until that works or the session is over.</summary>
    private async Task KeepSessionAsync(Connection connection)
    {
        var attempt = 0;
        while (true)
        {
            var closed = await connection.Closed;
            SetNotReady(connection);
            await connection.DisposeAsync();
            if (_lifetime.IsCancellationRequested)
            {
                return;
            }

            if (closed.Error is { } error && error.ErrorCode is ErrorCode.Replaced or ErrorCode.AuthFailed)
            {
                Terminate(new AkkaChatException(error.ErrorCode, error.Message));
                return;
            }

            SetState(ConnectionState.Reconnecting);
            while (true)
            {
                try
                {
                    await Task.Delay(Backoff.Delay(attempt++, Options.ReconnectInitialDelay, Options.ReconnectMaxDelay, Random.Shared), _lifetime.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                Connection? next = null;
                try
                {
                    next = await Connection.OpenAsync(Options.Host, Options.Port, Options.ConnectTimeout, _lifetime.Token);
                    next.Start(OnFrameAsync);
                    Credentials credentials;
                    lock (_gate)
                    {
                        _connection = next;
                        credentials = _credentials!;
                    }

                    await next.RequestAsync<AuthOk>(new AuthLogin { Phone = credentials.Phone, Token = ByteString.CopyFrom(credentials.Token) }, Options.RequestTimeout, _lifetime.Token);
                    BeginSessionOn(next);
                    connection = next;
                    attempt = 0;
                    break;
                }
                catch (AkkaChatException e) when (e.IsTerminal)
                {
                    Terminate(e);
                    return;
                }
                catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception)
                {
                    // Refused, timed out, lost during login, OVERLOADED: try again after the next delay.
                    if (next is not null)
                    {
                        await next.DisposeAsync();
                    }
                }
            }
        }
    }

    private void SetNotReady(Connection connection)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_connection, connection) && _ready)
            {
                _ready = false;
                _readySignal = NewSignal();
            }
        }
    }

    /// <summary>The session's connection once it is logged in and open; waits through reconnects.</summary>
    private async Task<Connection> WhenReadyAsync(CancellationToken ct)
    {
        while (true)
        {
            Task ready;
            lock (_gate)
            {
                ThrowIfUnusable();
                if (_credentials is null)
                {
                    throw new InvalidOperationException("log in first (VerifyAsync or LoginAsync)");
                }

                if (_ready && _connection is { IsClosed: false } open)
                {
                    return open;
                }

                if (_ready)
                {
                    _ready = false;
                    _readySignal = NewSignal();
                }

                ready = _readySignal.Task;
            }

            await ready.WaitAsync(ct);
        }
    }

    // ---- sending ----

    /// <summary>SEND a UTF-8 text message; see <see cref="SendAsync"/>.</summary>
    public Task<SendAck> SendTextAsync(string to, string text, string? clientMsgId = null, CancellationToken ct = default) =>
        SendAsync(to, MessageKind.Text, System.Text.Encoding.UTF8.GetBytes(text), null, clientMsgId, ct);

    /// <summary>
    /// SEND to a user (E.164 phone number) or group (<c>g:id</c>) and wait for its SEND_ACK, which the
    /// node gives once the message is stored durably. <paramref name="clientMsgId"/> defaults to a new
    /// UUIDv7; a send is written again under the same id after a reconnect, so it is delivered once.
    /// <para>
    /// SEND frames go out in the order of the SendAsync calls, also when they are written again after
    /// a reconnect, so one recipient gets them in that order. At most
    /// <see cref="ClientOptions.MaxPendingSends"/> are written and unanswered at a time; later calls
    /// wait, in call order, for room, and every call waits through reconnects. Throws <see cref="AkkaChatException"/> for an ERROR about this send
    /// (NOT_FOUND, RATE_LIMITED, BAD_REQUEST, TOO_LARGE) or when the session ends (REPLACED,
    /// AUTH_FAILED). Cancelling stops the waiting and the retries; a SEND already written may still
    /// be delivered.
    /// </para>
    /// </summary>
    public async Task<SendAck> SendAsync(string to, MessageKind kind, ReadOnlyMemory<byte> body, string? mediaId = null, string? clientMsgId = null, CancellationToken ct = default)
    {
        if (!ChatAddress.TryParse(to, out var address))
        {
            throw new AkkaChatException(ErrorCode.BadRequest, $"'{to}' is neither an E.164 phone number (+ then 8 to 15 digits) nor a group address (g:id)", clientMsgId ?? string.Empty);
        }

        clientMsgId ??= Guid.CreateVersion7().ToString("N");
        if (clientMsgId.Length is 0 or > 64)
        {
            throw new AkkaChatException(ErrorCode.BadRequest, "client_msg_id must be 1 to 64 characters", clientMsgId);
        }

        var message = new Send { ClientMsgId = clientMsgId, To = address.Value, Kind = (uint)kind, Body = ByteString.CopyFrom(body.Span), MediaId = mediaId ?? string.Empty };
        if (message.CalculateSize() > FrameLayout.MaxPayloadSize)
        {
            throw new AkkaChatException(ErrorCode.TooLarge, $"the message does not fit in one frame ({FrameLayout.MaxPayloadSize} bytes); send large content as media", clientMsgId);
        }

        ct.ThrowIfCancellationRequested();
        var pending = new PendingSend(message);
        lock (_gate)
        {
            ThrowIfUnusable();
            if (_credentials is null)
            {
                throw new InvalidOperationException("log in first (VerifyAsync or LoginAsync)");
            }

            if (!_sends.TryAdd(clientMsgId, pending))
            {
                throw new InvalidOperationException($"a send with client_msg_id {clientMsgId} is already pending");
            }

            AdmitWaitingSends();
        }

        WakeSendWriter();
        await using (ct.Register(() => Finish(clientMsgId, pending, p => p.Completion.TrySetCanceled(ct))))
        {
            return await pending.Completion.Task;
        }
    }

    /// <summary>
    /// READ: tells <paramref name="from"/> that these of its messages were read (it gets
    /// RECEIPT{READ}). Waits through reconnects until it is written. The node does not answer READ,
    /// so one written just before a connection is lost may be lost with it.
    /// </summary>
    public async Task MarkReadAsync(string from, IEnumerable<string> serverMsgIds, CancellationToken ct = default)
    {
        var read = new Read { From = ParsePhone(from), ServerMsgIds = { serverMsgIds } };
        while (true)
        {
            var connection = await WhenReadyAsync(ct);
            if (await connection.WriteAsync(read))
            {
                return;
            }
        }
    }

    /// <summary>Makes room: the oldest waiting sends become in flight, up to <see cref="ClientOptions.MaxPendingSends"/>. Call under <see cref="_gate"/>.</summary>
    private void AdmitWaitingSends()
    {
        // In-flight sends are always a prefix of _sends: sends leave from anywhere, but only the
        // first waiting one is ever admitted.
        while (_inFlight < Options.MaxPendingSends && _inFlight < _sends.Count)
        {
            _sends.GetAt(_inFlight).Value.InFlight = true;
            _inFlight++;
        }
    }

    /// <summary>Removes a send (answered, failed or cancelled) and completes it; false when it is no longer pending.</summary>
    private bool Finish(string clientMsgId, PendingSend? expected, Action<PendingSend> complete)
    {
        PendingSend? pending;
        lock (_gate)
        {
            if (!_sends.TryGetValue(clientMsgId, out pending) || (expected is not null && !ReferenceEquals(pending, expected)))
            {
                return false;
            }

            _sends.Remove(clientMsgId);
            if (pending.InFlight)
            {
                _inFlight--;
            }

            AdmitWaitingSends();
        }

        WakeSendWriter();
        complete(pending);
        return true;
    }

    private void WakeSendWriter() => _sendWakeUps.Writer.TryWrite(true);

    /// <summary>
    /// The one writer of SEND frames: writes in-flight sends not yet written to the session's current
    /// connection, in call order. After a reconnect that is every in-flight send, first.
    /// </summary>
    private async Task WriteSendsAsync()
    {
        var batch = new List<IMessage>();
        try
        {
            while (await _sendWakeUps.Reader.WaitToReadAsync(_lifetime.Token))
            {
                _sendWakeUps.Reader.TryRead(out _);
                Connection? connection;
                batch.Clear();
                lock (_gate)
                {
                    connection = _ready ? _connection : null;
                    if (connection is null)
                    {
                        continue;
                    }

                    for (var i = 0; i < _inFlight; i++)
                    {
                        var pending = _sends.GetAt(i).Value;
                        if (!ReferenceEquals(pending.WrittenTo, connection))
                        {
                            pending.WrittenTo = connection;
                            batch.Add(pending.Message);
                        }
                    }
                }

                // A failed write aborts the connection; the next one gets every in-flight send again.
                if (batch.Count > 0)
                {
                    await connection.WriteAsync(batch);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
    }

    // ---- receiving ----

    private async ValueTask OnFrameAsync(Connection connection, Frame frame)
    {
        switch (frame.Message)
        {
            case SendAck ack:
                Finish(ack.ClientMsgId, null, p => p.Completion.TrySetResult(ack));
                break;
            case Error error when error.Ref.Length > 0 && FailGroupRequest(error):
                break;
            case Error error when error.Ref.Length > 0 && Finish(error.Ref, null, p => p.Completion.TrySetException(new AkkaChatException(error.ErrorCode, error.Message, error.Ref))):
                break;
            case Error error when Connection.ClosesConnection(error.ErrorCode):
                break; // the connection ends; the session decides what that means
            case Error error:
                await EmitAsync(0, null, () => new ServerErrorReceived(error.ErrorCode, error.Message, error.Ref));
                break;
            case Deliver d:
                await EmitAsync(d.Seq, "d:" + d.ServerMsgId, () => new MessageReceived(
                    d.Seq, d.ServerMsgId, d.From, d.GroupId, (MessageKind)d.Kind, d.Body.Memory, d.MediaId, DateTimeOffset.FromUnixTimeMilliseconds(d.SentAtMs)));
                break;
            case Receipt r:
                await EmitAsync(r.Seq, $"r:{r.ServerMsgId}:{r.Status}:{r.By}", () => new ReceiptReceived(
                    r.Seq, r.ServerMsgId, r.ClientMsgId, (ReceiptStatus)r.Status, r.By, DateTimeOffset.FromUnixTimeMilliseconds(r.AtMs), r.GroupId));
                break;
            case StatusUpdate s:
                await EmitAsync(s.Seq, "s:" + s.StatusId, () => new FrameReceived(s.Seq, frame.Type, s));
                break;
            case GroupInfo g:
                CompleteGroupRequest(g);
                await EmitAsync(g.Seq, null, () => GroupChanged.From(g));
                break;
            case Pong or AuthOk or AuthCodeSent or null:
                break; // keep-alive answers, stray auth answers, and frame types this SDK does not know
            default:
                await EmitAsync(0, null, () => new FrameReceived(0, frame.Type, frame.Message));
                break;
        }
    }

    /// <summary>
    /// Admits a queued item (seq above 0) or passes any other event, and writes it into the bounded
    /// event buffer, waiting for room: while it waits, the connection's socket is not read.
    /// </summary>
    private async ValueTask EmitAsync(ulong seq, string? id, Func<ChatEvent> create)
    {
        await _emitLock.WaitAsync(_lifetime.Token);
        try
        {
            if (seq > 0 && _tracker.Admit(seq, id) == DeliveryTracker.Admission.Duplicate)
            {
                WakeAckWriter(); // the node sent it again, so it may not know it was acknowledged
                return;
            }

            await _events.Writer.WriteAsync(create(), _lifetime.Token);
        }
        catch (ChannelClosedException)
        {
            // the session is over; nobody reads events any more
        }
        finally
        {
            _emitLock.Release();
        }
    }

    private void MovedPast(ulong seq)
    {
        if (seq > 0 && _tracker.MovedPast(seq))
        {
            WakeAckWriter();
        }
    }

    private void WakeAckWriter() => _ackWakeUps.Writer.TryWrite(true);

    private async Task WriteAcksAsync()
    {
        try
        {
            while (await _ackWakeUps.Reader.WaitToReadAsync(_lifetime.Token))
            {
                _ackWakeUps.Reader.TryRead(out _);
                if (Options.AckDelay > TimeSpan.Zero)
                {
                    await Task.Delay(Options.AckDelay, _lifetime.Token);
                }

                await FlushAckAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
    }

    /// <summary>
    /// Writes ACK{highest acknowledgeable seq} when it is above what this connection acknowledged;
    /// returns the connection it was written to, null when none was written.
    /// </summary>
    private async Task<Connection?> FlushAckAsync()
    {
        Connection? connection;
        var upTo = _tracker.Acknowledgeable;
        lock (_gate)
        {
            connection = _ready ? _connection : null;
            if (connection is null || upTo <= connection.AckedUpTo)
            {
                return null;
            }
        }

        if (!await connection.WriteAsync(new Ack { UpToSeq = upTo }))
        {
            return null;
        }

        lock (_gate)
        {
            connection.AckedUpTo = Math.Max(connection.AckedUpTo, upTo);
        }

        return connection;
    }

    /// <summary>PING every interval while logged in; a connection that sent nothing for the pong timeout after a PING is replaced.</summary>
    private async Task KeepAliveAsync()
    {
        using var timer = new PeriodicTimer(Options.PingInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_lifetime.Token))
            {
                Connection? connection;
                lock (_gate)
                {
                    connection = _ready ? _connection : null;
                }

                if (connection is null)
                {
                    continue;
                }

                var now = Environment.TickCount64;
                var unanswered = connection.PingSentMs != 0 && connection.LastReceivedMs < connection.PingSentMs;
                if (unanswered && now - connection.PingSentMs >= (long)Options.PongTimeout.TotalMilliseconds)
                {
                    connection.Abort($"nothing received within {Options.PongTimeout.TotalSeconds:0.#} s of a PING");
                    continue;
                }

                if (!unanswered)
                {
                    connection.PingSentMs = now; // the oldest PING not followed by any frame
                }

                await connection.WriteAsync(new Ping { Nonce = (ulong)Random.Shared.NextInt64() });
            }
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
    }

    // ---- the end ----

    /// <summary>The node ended the session for good: fail what waits, end the events with the error, never reconnect.</summary>
    private void Terminate(AkkaChatException error)
    {
        PendingSend[] failed;
        Connection? connection;
        lock (_gate)
        {
            if (_terminal is not null || _disposed != 0)
            {
                return;
            }

            _terminal = error;
            _ready = false;
            failed = _sends.Values.ToArray();
            _sends.Clear();
            _inFlight = 0;
            connection = _connection;
            _readySignal.TrySetException(error);
        }

        foreach (var pending in failed)
        {
            pending.Completion.TrySetException(new AkkaChatException(error.Code, error.Message));
        }

        _events.Writer.TryComplete(error);
        connection?.Abort(error.Message);
        SetState(ConnectionState.Terminated);
    }

    /// <summary>Test hook: cuts the current connection as a network failure would.</summary>
    internal void AbortConnection()
    {
        Connection? connection;
        lock (_gate)
        {
            connection = _connection;
        }

        connection?.Abort("aborted");
    }

    /// <summary>
    /// Writes the last ACK (for items the application moved past), closes the connection cleanly,
    /// fails sends still waiting with <see cref="ObjectDisposedException"/> and ends the events.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            // The last ACK, then a PING round trip: the node has handled the ACK before it sees the
            // connection close, which it would otherwise be free to notice first.
            await FlushAckAsync().WaitAsync(CloseGrace);
            Connection? acknowledgedOn;
            lock (_gate)
            {
                acknowledgedOn = _ready && _connection is { AckedUpTo: > 0 } ? _connection : null;
            }

            if (acknowledgedOn is not null)
            {
                await acknowledgedOn.PingAsync(CloseGrace);
            }
        }
        catch (Exception)
        {
            // best effort: unacknowledged items are sent again at the next login
        }

        PendingSend[] abandoned;
        Connection? connection;
        lock (_gate)
        {
            _ready = false;
            abandoned = _sends.Values.ToArray();
            _sends.Clear();
            _inFlight = 0;
            connection = _connection;
            _readySignal.TrySetException(new ObjectDisposedException(nameof(AkkaChatClient)));
        }

        _lifetime.Cancel();
        foreach (var pending in abandoned)
        {
            pending.Completion.TrySetException(new ObjectDisposedException(nameof(AkkaChatClient), "the client was disposed before the send was acknowledged"));
        }

        _events.Writer.TryComplete();
        if (connection is not null)
        {
            await connection.CloseAsync(CloseGrace);
            await connection.DisposeAsync();
        }

        foreach (var task in new[] { _session, _ackWriter, _sendWriter, _keepAlive })
        {
            try
            {
                await task;
            }
            catch (Exception)
            {
                // they end on cancellation; nothing more to report
            }
        }

        SetState(ConnectionState.Disposed);
        _lifetime.Dispose();
    }

    // ---- helpers ----

    private void SetState(ConnectionState state)
    {
        lock (_gate)
        {
            if (_state == state || _state == ConnectionState.Disposed
                || (_state == ConnectionState.Terminated && state != ConnectionState.Disposed)
                || (_disposed != 0 && state != ConnectionState.Disposed))
            {
                return;
            }

            _state = state;
        }

        StateChanged?.Invoke(state);
    }

    /// <summary>Throws when the client can no longer be used. Call under <see cref="_gate"/>.</summary>
    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_terminal is { } terminal)
        {
            throw new AkkaChatException(terminal.Code, terminal.Message);
        }
    }

    private static string ParsePhone(string phone) =>
        PhoneNumber.TryParse(phone, out var number)
            ? number.Value
            : throw new AkkaChatException(ErrorCode.BadRequest, $"'{phone}' is not an E.164 phone number (+ then 8 to 15 digits)");

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class PendingSend(Send message)
    {
        public Send Message { get; } = message;

        /// <summary>Admitted among the at most MaxPendingSends that may be written. Guarded by _gate.</summary>
        public bool InFlight { get; set; }

        /// <summary>The connection it was last written to. Guarded by _gate.</summary>
        public Connection? WrittenTo { get; set; }

        public TaskCompletionSource<SendAck> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
