using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using AkkaChat.Client.Transport;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Client.Wire;

/// <summary>
/// One connection to a node speaking the frames of ../shared/PROTOCOL.md over an
/// <see cref="IFrameTransport"/>: the one implementation of framing, request/answer and PING that
/// the SDK's session, the test kit's <c>ProtocolClient</c> and the load generator share. It knows
/// nothing of sessions: its owner decides what a lost connection means.
/// <para>
/// Two ways to read, one at a time: <see cref="ReadFrameAsync"/> takes frames one by one (a plain
/// request/answer exchange, before login); <see cref="StartReceiving"/> starts a read loop that hands
/// every frame to an <see cref="IFrameReceiver"/> and awaits it before reading further, so a receiver
/// that waits stops the socket being read and TCP backpressure reaches the node. Frames are cut in
/// place from the transport's pooled buffers by <see cref="FrameReader"/>.
/// </para>
/// <para>
/// Writes are serialized by one lock: <see cref="WriteAsync(IMessage)"/> flushes each call; a
/// <see cref="FrameBatch"/> writes several frames under the lock and flushes them together without
/// allocating.
/// </para>
/// </summary>
public sealed class WireConnection : IAsyncDisposable
{
    private static int _nextId;

    private readonly IFrameTransport _transport;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _cts = new();
    private readonly TaskCompletionSource<ConnectionClosed> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _answerGate = new();
    private TaskCompletionSource<IMessage>? _authAnswer;
    private (ulong Nonce, TaskCompletionSource Answer)? _pong;
    private Error? _closingError;
    private string? _abortReason;
    private Task _readLoop = Task.CompletedTask;
    private bool _receiving;
    private long _lastReceivedMs = Environment.TickCount64;
    private long _lastWriteMs = Environment.TickCount64;
    private int _disposed;

    public WireConnection(IFrameTransport transport) => _transport = transport;

    /// <summary>A number for log lines, unique in this process.</summary>
    public int Id { get; } = Interlocked.Increment(ref _nextId);

    public ServerAddress Remote => _transport.Remote;

    /// <summary>Completes when the read loop has ended, for whatever reason; never faults. Only once <see cref="StartReceiving"/> ran.</summary>
    public Task<ConnectionClosed> Closed => _closed.Task;

    /// <summary>True once the connection ended or is ending: aborted, or the node sent an ERROR after which it closes.</summary>
    public bool IsClosed => _closed.Task.IsCompleted || _cts.IsCancellationRequested || Volatile.Read(ref _closingError) is not null;

    /// <summary>Environment.TickCount64 when the last frame arrived.</summary>
    public long LastReceivedMs => Interlocked.Read(ref _lastReceivedMs);

    /// <summary>Environment.TickCount64 when the last frame was written.</summary>
    public long LastWriteMs => Interlocked.Read(ref _lastWriteMs);

    /// <summary>Highest ACK its owner wrote on this connection; the owner guards it.</summary>
    public ulong AckedUpTo { get; set; }

    /// <summary>TickCount64 of the oldest PING not followed by any frame, 0 when none. Kept by <see cref="KeepAlive"/>.</summary>
    public long PingSentMs { get; set; }

    /// <summary>Connects to <paramref name="address"/> over the transport its scheme names.</summary>
    public static async Task<WireConnection> OpenAsync(ServerAddress address, TimeSpan timeout, CancellationToken ct) =>
        new(await FrameTransports.ConnectAsync(address, timeout, ct));

    // ---- reading one frame at a time ----

    /// <summary>
    /// The next frame, or null once the node closed the connection cleanly. Throws
    /// <see cref="TimeoutException"/> when none arrives within <paramref name="timeout"/> (the
    /// connection stays usable), <see cref="IOException"/> when the connection was reset, and
    /// <see cref="ProtocolException"/> for bytes that are not a frame. Not while receiving.
    /// </summary>
    public async Task<Frame?> ReadFrameAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        if (_receiving)
        {
            throw new InvalidOperationException("the connection's read loop is running");
        }

        var input = _transport.Input;
        using var timer = new CancellationTokenSource(timeout);
        // CancelPendingRead rather than a cancelled token: the pipe stays consistent for the next read.
        await using var onTimeout = timer.Token.Register(input.CancelPendingRead);
        await using var onCancel = ct.Register(input.CancelPendingRead);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                throw new IOException(e.Message, e);
            }

            var buffer = result.Buffer;
            if (FrameReader.TryRead(ref buffer, out var frame))
            {
                input.AdvanceTo(buffer.Start);
                Interlocked.Exchange(ref _lastReceivedMs, Environment.TickCount64);
                NoteClosingError(frame);
                return frame;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }

            if (result.IsCanceled)
            {
                ct.ThrowIfCancellationRequested();
                throw new TimeoutException($"no frame within {timeout.TotalSeconds:0.#} s");
            }
        }
    }

    // ---- the read loop ----

    /// <summary>Starts the read loop; every frame not taken as the answer to <see cref="RequestAsync{T}"/> goes to <paramref name="receiver"/>.</summary>
    public void StartReceiving(IFrameReceiver receiver)
    {
        _receiving = true;
        _readLoop = Task.Run(() => ReadLoopAsync(receiver));
    }

    private async Task ReadLoopAsync(IFrameReceiver receiver)
    {
        var reason = "the server closed the connection";
        var input = _transport.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(_cts.Token);
                var buffer = result.Buffer;
                try
                {
                    while (FrameReader.TryRead(ref buffer, out var frame))
                    {
                        Interlocked.Exchange(ref _lastReceivedMs, Environment.TickCount64);
                        NoteClosingError(frame);
                        if (frame.Message is Pong pong)
                        {
                            AnswerPing(pong);
                        }

                        if (!TryAnswerRequest(frame))
                        {
                            await receiver.OnFrameAsync(this, frame);
                        }
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }

                await receiver.OnFramesReadAsync(this);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            reason = _abortReason ?? "closed";
        }
        catch (ProtocolException e)
        {
            reason = $"the server sent an invalid frame: {e.Message}";
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            reason = _abortReason ?? e.Message;
        }
        catch (Exception e)
        {
            // A bug in a receiver must not leave its owner waiting on a connection nobody reads.
            reason = $"client error: {e}";
        }
        finally
        {
            _cts.Cancel();
            _transport.Close();
            await input.CompleteAsync();
            var closed = new ConnectionClosed(_closingError is { } e ? $"{e.ErrorCode}: {e.Message}" : reason, _closingError);
            lock (_answerGate)
            {
                _authAnswer?.TrySetException(_closingError is { } error
                    ? new AkkaChatException(error.ErrorCode, error.Message, error.Ref)
                    : new IOException(closed.Reason));
            }

            _closed.TrySetResult(closed);
        }
    }

    private void NoteClosingError(in Frame frame)
    {
        if (frame.Message is Error error && ProtocolRules.ClosesConnection(error.ErrorCode, error.Ref))
        {
            Volatile.Write(ref _closingError, error);
        }
    }

    // ---- request and answer ----

    /// <summary>
    /// Writes an AUTH_* request and waits for its answer: AUTH_CODE_SENT, AUTH_OK, or an ERROR that
    /// is not about a SEND. Works with or without the read loop. Throws <see cref="AkkaChatException"/>
    /// for an ERROR answer or an unexpected frame, <see cref="IOException"/> when the connection ends
    /// first, and <see cref="TimeoutException"/> after <paramref name="timeout"/>.
    /// </summary>
    public async Task<T> RequestAsync<T>(IMessage request, TimeSpan timeout, CancellationToken ct)
        where T : class, IMessage
    {
        if (!_receiving)
        {
            if (!await WriteAsync(request))
            {
                throw new IOException(_abortReason ?? "the connection closed before the request was written");
            }

            Frame? next;
            try
            {
                next = await ReadFrameAsync(timeout, ct);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"the server did not answer {FrameCodec.TypeOf(request)} within {timeout.TotalSeconds:0.#} s");
            }

            return next?.Message switch
            {
                T answer => answer,
                Error error => throw new AkkaChatException(error.ErrorCode, error.Message, error.Ref),
                null when next is null => throw new IOException("the server closed the connection"),
                _ => throw new AkkaChatException(ErrorCode.Internal, $"expected {typeof(T).Name}, the server answered {next.Value.Type}"),
            };
        }

        var pending = new TaskCompletionSource<IMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_answerGate)
        {
            if (_authAnswer is not null)
            {
                throw new InvalidOperationException("another registration or login request is outstanding on this connection");
            }

            if (IsClosed)
            {
                throw new IOException("the connection is closed");
            }

            _authAnswer = pending;
        }

        if (!await WriteAsync(request))
        {
            ForgetAnswer(pending);
            throw new IOException(_abortReason ?? "the connection closed before the request was written");
        }

        try
        {
            var message = await pending.Task.WaitAsync(timeout, ct);
            return message as T ?? throw new AkkaChatException(ErrorCode.Internal, $"expected {typeof(T).Name}, the server answered {message.GetType().Name}");
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            ForgetAnswer(pending);
            if (e is TimeoutException)
            {
                throw new TimeoutException($"the server did not answer {FrameCodec.TypeOf(request)} within {timeout.TotalSeconds:0.#} s");
            }

            throw;
        }
    }

    private void ForgetAnswer(TaskCompletionSource<IMessage> pending)
    {
        lock (_answerGate)
        {
            if (ReferenceEquals(_authAnswer, pending))
            {
                _authAnswer = null;
            }
        }
    }

    private bool TryAnswerRequest(in Frame frame)
    {
        lock (_answerGate)
        {
            if (_authAnswer is null)
            {
                return false;
            }

            switch (frame.Message)
            {
                case AuthCodeSent or AuthOk:
                    _authAnswer.TrySetResult(frame.Message);
                    break;
                case Error { Ref: "" } error:
                    _authAnswer.TrySetException(new AkkaChatException(error.ErrorCode, error.Message));
                    break;
                default:
                    return false;
            }

            _authAnswer = null;
            return true;
        }
    }

    /// <summary>
    /// PING and wait for its PONG (read loop only). The node handles a connection's frames in order,
    /// so once the PONG is here every frame written before the PING has been handled.
    /// </summary>
    public async Task PingAsync(TimeSpan timeout)
    {
        var nonce = (ulong)Random.Shared.NextInt64();
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_answerGate)
        {
            _pong = (nonce, answer);
        }

        if (!await WriteAsync(new Ping { Nonce = nonce }))
        {
            throw new IOException(_abortReason ?? "the connection is closed");
        }

        await answer.Task.WaitAsync(timeout);
    }

    private void AnswerPing(Pong pong)
    {
        lock (_answerGate)
        {
            if (_pong is { } waiting && waiting.Nonce == pong.Nonce)
            {
                waiting.Answer.TrySetResult();
                _pong = null;
            }
        }
    }

    // ---- writing ----

    /// <summary>Writes one frame and flushes it. False when the connection is closed or the write failed (it is then aborted).</summary>
    public async ValueTask<bool> WriteAsync(IMessage message)
    {
        if (!await TryTakeWriteLockAsync())
        {
            return false;
        }

        WriteOrRelease(message);
        return await FlushAndReleaseAsync();
    }

    /// <summary>Writes frames and flushes them together. False when the connection is closed or the write failed (it is then aborted).</summary>
    public async ValueTask<bool> WriteAsync(IReadOnlyList<IMessage> messages)
    {
        if (!await TryTakeWriteLockAsync())
        {
            return false;
        }

        for (var i = 0; i < messages.Count; i++)
        {
            WriteOrRelease(messages[i]);
        }

        return await FlushAndReleaseAsync();
    }

    /// <summary>Writes bytes as they are, framed or not (for tests of the node's framing).</summary>
    public async ValueTask<bool> WriteRawAsync(ReadOnlyMemory<byte> bytes)
    {
        if (!await TryTakeWriteLockAsync())
        {
            return false;
        }

        _transport.Output.Write(bytes.Span);
        return await FlushAndReleaseAsync();
    }

    /// <summary>Takes the write lock for frames that go out with one flush; null when the connection is closed.</summary>
    public async ValueTask<FrameBatch?> BeginBatchAsync() => await TryTakeWriteLockAsync() ? new FrameBatch(this) : null;

    /// <summary>Writes a frame under the lock; a message too large to frame releases the lock before it throws.</summary>
    private void WriteOrRelease(IMessage message)
    {
        try
        {
            FrameWriter.Write(_transport.Output, message);
        }
        catch
        {
            _writeLock.Release();
            throw;
        }
    }

    private async ValueTask<bool> TryTakeWriteLockAsync()
    {
        try
        {
            await _writeLock.WaitAsync(_cts.Token);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
    }

    private async ValueTask<bool> FlushAndReleaseAsync()
    {
        try
        {
            Interlocked.Exchange(ref _lastWriteMs, Environment.TickCount64);
            var flushed = await _transport.Output.FlushAsync(_cts.Token);
            return !flushed.IsCanceled && !flushed.IsCompleted;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            Abort($"write failed: {e.Message}");
            return false;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Frames written under the connection's write lock; <see cref="FlushAsync"/> sends them and releases the lock.</summary>
    public readonly struct FrameBatch
    {
        private readonly WireConnection _connection;

        internal FrameBatch(WireConnection connection) => _connection = connection;

        public void Write(IMessage message) => FrameWriter.Write(_connection._transport.Output, message);

        /// <summary>Sends the batch; false when the connection failed (it is then aborted).</summary>
        public ValueTask<bool> FlushAsync() => _connection.FlushAndReleaseAsync();
    }

    // ---- closing ----

    /// <summary>Closes the connection at once (a reset); the read loop ends and <see cref="Closed"/> completes.</summary>
    public void Abort(string reason)
    {
        _abortReason ??= reason;
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // disposed: already closed
        }

        _transport.Abort();
    }

    /// <summary>Closes cleanly: stops writing (FIN), gives the node <paramref name="grace"/> to close its side, then closes.</summary>
    public async Task CloseAsync(TimeSpan grace)
    {
        if (!IsClosed)
        {
            // The lock is kept: nothing is written after the FIN, and Abort ends any waiting writer.
            if (await _writeLock.WaitAsync(grace))
            {
                _transport.CompleteOutput();
            }

            if (_receiving)
            {
                await Task.WhenAny(_closed.Task, Task.Delay(grace));
            }
        }

        if (_receiving)
        {
            Abort("closed by the client");
            await _readLoop;
        }
    }

    /// <summary>
    /// Ends the connection: with the read loop running it is aborted (a reset) and the loop awaited;
    /// without, the transport closes as a socket does (a clean close unless bytes are left unread).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (_receiving)
        {
            Abort("closed by the client");
            await _readLoop;
        }
        else
        {
            _abortReason ??= "closed by the client";
            _cts.Cancel();
        }

        await _transport.DisposeAsync();
        _cts.Dispose();
    }
}

/// <summary>What a <see cref="WireConnection"/>'s read loop hands its frames to.</summary>
public interface IFrameReceiver
{
    /// <summary>One frame. The loop awaits it before it reads on: a receiver that waits applies backpressure.</summary>
    ValueTask OnFrameAsync(WireConnection connection, Frame frame);

    /// <summary>After the frames of one read from the transport (to acknowledge them with one ACK, say).</summary>
    ValueTask OnFramesReadAsync(WireConnection connection);
}

/// <summary>Why a connection ended; <see cref="Error"/> is the closing ERROR the node sent, if any.</summary>
public sealed record ConnectionClosed(string Reason, Error? Error);
