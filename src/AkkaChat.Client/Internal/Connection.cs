using System.IO.Pipelines;
using System.Net.Sockets;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Client.Internal;

/// <summary>
/// One TCP connection to a node: a read loop that cuts frames with <see cref="FrameReader"/>
/// straight off the socket's <see cref="PipeReader"/> buffers, serialized frame writes, and the
/// one-at-a-time AUTH_* request/answer exchange. It knows nothing of sessions: the client decides
/// what a lost connection means.
/// <para>
/// The read loop hands every frame to the client's handler and awaits it before reading further,
/// so a handler that waits (for room in the event buffer) stops the socket being read: TCP
/// backpressure reaches the node.
/// </para>
/// </summary>
internal sealed class Connection : IAsyncDisposable
{
    private static int _nextId;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _cts = new();
    private readonly TaskCompletionSource<ConnectionClosed> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _authGate = new();
    private TaskCompletionSource<IMessage>? _authAnswer;
    private (ulong Nonce, TaskCompletionSource Answer)? _pong;
    private Error? _closingError;
    private string? _abortReason;
    private Task _readLoop = Task.CompletedTask;
    private long _lastReceivedMs = Environment.TickCount64;
    private int _disposed;

    private Connection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        _writer = PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public int Id { get; } = Interlocked.Increment(ref _nextId);

    /// <summary>Completes when the connection has ended, for whatever reason; never faults.</summary>
    public Task<ConnectionClosed> Closed => _closed.Task;

    /// <summary>True once the connection ended or is ending: aborted, or the node sent an ERROR after which it closes.</summary>
    public bool IsClosed => _closed.Task.IsCompleted || _cts.IsCancellationRequested || Volatile.Read(ref _closingError) is not null;

    /// <summary>Environment.TickCount64 when the last frame arrived.</summary>
    public long LastReceivedMs => Interlocked.Read(ref _lastReceivedMs);

    /// <summary>Highest ACK written on this connection. Guarded by the client.</summary>
    public ulong AckedUpTo { get; set; }

    /// <summary>TickCount64 of the last PING written, 0 when none is outstanding. Used by the client's keep-alive.</summary>
    public long PingSentMs { get; set; }

    /// <summary>
    /// Opens a TCP connection. Throws <see cref="SocketException"/> when the host is unknown or the
    /// connection is refused, <see cref="TimeoutException"/> after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<Connection> OpenAsync(string host, int port, TimeSpan timeout, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(host, port, deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"could not connect to {host}:{port} within {timeout.TotalSeconds:0.#} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new Connection(socket);
    }

    /// <summary>Starts reading; every frame not consumed by an AUTH_* request goes to <paramref name="onFrame"/>.</summary>
    public void Start(Func<Connection, Frame, ValueTask> onFrame) => _readLoop = Task.Run(() => ReadLoopAsync(onFrame));

    private async Task ReadLoopAsync(Func<Connection, Frame, ValueTask> onFrame)
    {
        var reason = "the server closed the connection";
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(_cts.Token);
                var buffer = result.Buffer;
                try
                {
                    while (FrameReader.TryRead(ref buffer, out var frame))
                    {
                        Interlocked.Exchange(ref _lastReceivedMs, Environment.TickCount64);
                        if (frame.Message is Error error && ClosesConnection(error.ErrorCode))
                        {
                            Volatile.Write(ref _closingError, error);
                        }

                        if (frame.Message is Pong pong)
                        {
                            AnswerPing(pong);
                        }

                        if (!TryAnswerAuth(frame))
                        {
                            await onFrame(this, frame);
                        }
                    }

                    if (result.IsCompleted)
                    {
                        break;
                    }
                }
                finally
                {
                    _reader.AdvanceTo(buffer.Start, buffer.End);
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
            // A bug in a handler must not leave the session hanging on a connection nobody reads.
            reason = $"client error: {e}";
        }
        finally
        {
            _cts.Cancel();
            _stream.Dispose();
            await _reader.CompleteAsync();
            var closed = new ConnectionClosed(_closingError is { } e ? $"{e.ErrorCode}: {e.Message}" : reason, _closingError);
            lock (_authGate)
            {
                _authAnswer?.TrySetException(_closingError is { } error
                    ? new AkkaChatException(error.ErrorCode, error.Message, error.Ref)
                    : new IOException(closed.Reason));
            }

            _closed.TrySetResult(closed);
        }
    }

    /// <summary>The answer to an outstanding AUTH_* request: AUTH_CODE_SENT, AUTH_OK, or an ERROR that is not about a SEND.</summary>
    private bool TryAnswerAuth(Frame frame)
    {
        lock (_authGate)
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
    /// Writes an AUTH_* request and waits for its answer. Throws <see cref="AkkaChatException"/> for
    /// an ERROR answer, <see cref="IOException"/> when the connection ends first, and
    /// <see cref="TimeoutException"/> after <paramref name="timeout"/>.
    /// </summary>
    public async Task<T> RequestAsync<T>(IMessage request, TimeSpan timeout, CancellationToken ct)
        where T : class, IMessage
    {
        var answer = new TaskCompletionSource<IMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_authGate)
        {
            if (_authAnswer is not null)
            {
                throw new InvalidOperationException("another registration or login request is outstanding on this connection");
            }

            if (IsClosed)
            {
                throw new IOException("the connection is closed");
            }

            _authAnswer = answer;
        }

        if (!await WriteAsync(request))
        {
            lock (_authGate)
            {
                if (ReferenceEquals(_authAnswer, answer))
                {
                    _authAnswer = null;
                }
            }

            throw new IOException(_abortReason ?? "the connection closed before the request was written");
        }

        try
        {
            var message = await answer.Task.WaitAsync(timeout, ct);
            return message as T ?? throw new AkkaChatException(ErrorCode.Internal, $"expected {typeof(T).Name}, the server answered {message.GetType().Name}");
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            lock (_authGate)
            {
                if (ReferenceEquals(_authAnswer, answer))
                {
                    _authAnswer = null;
                }
            }

            if (e is TimeoutException)
            {
                throw new TimeoutException($"the server did not answer {FrameCodec.TypeOf(request)} within {timeout.TotalSeconds:0.#} s");
            }

            throw;
        }
    }

    /// <summary>
    /// PING and wait for its PONG. The node handles a connection's frames in order, so once the
    /// PONG is here every frame written before the PING has been handled.
    /// </summary>
    public async Task PingAsync(TimeSpan timeout)
    {
        var nonce = (ulong)Random.Shared.NextInt64();
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_authGate)
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
        lock (_authGate)
        {
            if (_pong is { } waiting && waiting.Nonce == pong.Nonce)
            {
                waiting.Answer.TrySetResult();
                _pong = null;
            }
        }
    }

    /// <summary>Writes frames and flushes them together. False when the connection is closed or the write failed (it is then aborted).</summary>
    public async ValueTask<bool> WriteAsync(params IReadOnlyList<IMessage> messages)
    {
        try
        {
            await _writeLock.WaitAsync(_cts.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        try
        {
            foreach (var message in messages)
            {
                FrameWriter.Write(_writer, message);
            }

            var flushed = await _writer.FlushAsync(_cts.Token);
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

    /// <summary>Closes the connection at once; the read loop ends and <see cref="Closed"/> completes.</summary>
    public void Abort(string reason)
    {
        _abortReason ??= reason;
        try
        {
            _cts.Cancel();
            _socket.Close(0);
        }
        catch (ObjectDisposedException)
        {
            // already closed
        }
    }

    /// <summary>Closes cleanly: stops writing (FIN), gives the node a moment to close its side, then closes.</summary>
    public async Task CloseAsync(TimeSpan grace)
    {
        if (!IsClosed)
        {
            try
            {
                // The lock is kept: nothing is written after the FIN, and Abort ends any waiting writer.
                if (await _writeLock.WaitAsync(grace))
                {
                    _socket.Shutdown(SocketShutdown.Send);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // closed under us
            }

            await Task.WhenAny(_closed.Task, Task.Delay(grace));
        }

        Abort("closed by the client");
        await _readLoop;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Abort("closed by the client");
        await _readLoop;
        await _writer.CompleteAsync();
        _cts.Dispose();
    }

    /// <summary>The ERROR codes after which the node closes the connection.</summary>
    public static bool ClosesConnection(ErrorCode code) => code is ErrorCode.UnsupportedVersion or ErrorCode.Malformed
        or ErrorCode.Unauthenticated or ErrorCode.AuthFailed or ErrorCode.Replaced or ErrorCode.IdleTimeout or ErrorCode.Overloaded;
}

/// <summary>Why a connection ended; <see cref="Error"/> is the closing ERROR the node sent, if any.</summary>
internal sealed record ConnectionClosed(string Reason, Error? Error);
