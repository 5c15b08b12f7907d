using System.Runtime.CompilerServices;
using System.Threading.Channels;
using AkkaChat.Client.Internal;
using AkkaChat.Client.Transport;
using AkkaChat.Client.Wire;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;

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
/// <para>
/// The class is in parts named after what they do: this file (state, events, the end),
/// <c>.Login</c> (connect, register, log in), <c>.Reconnect</c> (the reconnect loop),
/// <c>.SendQueue</c> (outgoing sends and their resends), <c>.Inbound</c> (frames in, dedup, ACK) and
/// <c>.KeepAlive</c>. They share one lock, <c>_gate</c>, over the session's connection and state.
/// The wire itself is <see cref="WireConnection"/>.
/// </para>
/// </summary>
public sealed partial class AkkaChatClient : IAsyncDisposable
{
    /// <summary>How long closing may wait for the last ACK to be written and the node to close its side.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);

    private readonly object _gate = new();
    private readonly IReadOnlyList<ServerAddress> _servers;
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

    private WireConnection? _connection;
    private bool _ready;
    private TaskCompletionSource _readySignal = NewSignal();
    private Credentials? _credentials;
    private AkkaChatException? _terminal;
    private ConnectionState _state = ConnectionState.Disconnected;
    private Task _session = Task.CompletedTask;
    private Task _ackWriter = Task.CompletedTask;
    private Task _sendWriter = Task.CompletedTask;
    private KeepAlive? _keepAlive;
    private readonly Inbound _inbound;
    // Index into the server list of the next connection attempt; moves on at every attempt.
    private int _nextServer;
    private int _enumerating;
    private int _disposed;

    public AkkaChatClient(ClientOptions? options = null)
    {
        Options = options ?? new ClientOptions();
        Options.Validate();
        _servers = Options.ServerList();
        _inbound = new Inbound(this);
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

    // ---- the end ----

    /// <summary>The node ended the session for good: fail what waits, end the events with the error, never reconnect.</summary>
    private void Terminate(AkkaChatException error)
    {
        PendingSend[] failed;
        WireConnection? connection;
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
        WireConnection? connection;
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
            WireConnection? acknowledgedOn;
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
        WireConnection? connection;
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

        if (_keepAlive is not null)
        {
            await _keepAlive.DisposeAsync();
        }

        foreach (var task in new[] { _session, _ackWriter, _sendWriter })
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
}
