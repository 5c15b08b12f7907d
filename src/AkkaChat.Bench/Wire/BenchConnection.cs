using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Bench.Wire;

/// <summary>What a <see cref="BenchConnection"/> hands to the scenario while it receives.</summary>
public interface IFrameHandler
{
    /// <summary>One frame, with the <see cref="Stopwatch"/> timestamp at which it was parsed. Runs on the receive loop: keep it short.</summary>
    void OnFrame(BenchConnection connection, in Frame frame, long receivedAt);

    /// <summary>The connection acknowledged every queued item up to <paramref name="upToSeq"/>.</summary>
    void OnAcknowledged(BenchConnection connection, ulong upToSeq, long at);

    /// <summary>The connection ended without the bench closing it (the node closed it, or the socket failed).</summary>
    void OnLost(BenchConnection connection, string reason);
}

/// <summary>
/// One client socket of the load generator, speaking the raw wire protocol and nothing more: no
/// retries, no reconnects, no message store. Two stages:
/// <list type="number">
/// <item>request and answer (<see cref="RegisterAsync"/>, <see cref="LoginAsync"/>), reading frames one by one;</item>
/// <item>after <see cref="StartReceiving"/>, a receive loop hands every frame to an <see cref="IFrameHandler"/>
///   and acknowledges queued items (DELIVER, RECEIPT, ...) with one ACK per batch of frames read.</item>
/// </list>
/// Reads go through a pipe over the socket (4 KiB pooled segments, frames parsed in place by
/// <see cref="FrameReader"/>); writes are serialized by a lock and flushed per call or per batch.
/// </summary>
public sealed class BenchConnection : IAsyncDisposable
{
    /// <summary>How long one request of the login stage may wait for its answer.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    private static readonly StreamPipeReaderOptions ReaderOptions = new(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true);
    private static readonly StreamPipeWriterOptions WriterOptions = new(minimumBufferSize: 4096, leaveOpen: true);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Ack _ack = new();
    private Task _receiving = Task.CompletedTask;
    private ulong _highestSeq;
    private ulong _acknowledgedSeq;
    private long _lastWriteMs = Environment.TickCount64;
    private volatile bool _closing;
    private bool _receivingStarted;
    private int _disposed;

    private BenchConnection(Socket socket, string phone)
    {
        _socket = socket;
        Phone = phone;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream, ReaderOptions);
        _output = PipeWriter.Create(_stream, WriterOptions);
    }

    /// <summary>The user this connection is (or is becoming) logged in as.</summary>
    public string Phone { get; }

    /// <summary><see cref="Environment.TickCount64"/> of the last frame written; keep-alive pings connections that stay silent.</summary>
    public long LastWriteMs => Interlocked.Read(ref _lastWriteMs);

    /// <summary>False once the bench began closing the connection or the connection was lost.</summary>
    public bool IsOpen => !_closing;

    public static async Task<BenchConnection> ConnectAsync(IPEndPoint endpoint, string phone, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new BenchConnection(socket, phone);
    }

    // ---- stage 1: request and answer ----

    /// <summary>AUTH_REQUEST_CODE, then AUTH_VERIFY with the code the node reveals; the connection is then logged in.</summary>
    public async Task<AuthOk> RegisterAsync(CancellationToken cancellationToken)
    {
        await WriteAsync(new AuthRequestCode { Phone = Phone });
        var sent = Expect<AuthCodeSent>(await ReadFrameAsync(cancellationToken));
        if (sent.DevCode.Length == 0)
        {
            throw new BenchProtocolException("NO_DEV_CODE",
                "the node does not reveal registration codes; run it with akkachat.auth.reveal-codes = on");
        }

        await WriteAsync(new AuthVerify { Phone = Phone, Code = sent.DevCode, DeviceName = "akkachat-bench" });
        return Expect<AuthOk>(await ReadFrameAsync(cancellationToken));
    }

    /// <summary>AUTH_LOGIN with a token from registration; AUTH_OK.pending counts the queued items.</summary>
    public async Task<AuthOk> LoginAsync(ByteString token, CancellationToken cancellationToken)
    {
        await WriteAsync(new AuthLogin { Phone = Phone, Token = token });
        return Expect<AuthOk>(await ReadFrameAsync(cancellationToken));
    }

    /// <summary>The next frame; only before <see cref="StartReceiving"/>.</summary>
    public async Task<Frame> ReadFrameAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AnswerTimeout);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await _input.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new BenchProtocolException("TIMEOUT", $"no answer within {AnswerTimeout.TotalSeconds:0} s");
            }

            var buffer = result.Buffer;
            if (FrameReader.TryRead(ref buffer, out var frame))
            {
                _input.AdvanceTo(buffer.Start);
                NoteSeq(frame);
                return frame;
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new BenchProtocolException("CLOSED", "the node closed the connection");
            }
        }
    }

    private static T Expect<T>(Frame frame)
        where T : class, IMessage => frame.Message switch
        {
            T expected => expected,
            Error error => throw new BenchProtocolException(ErrorNames.Of(error.ErrorCode), error.Message),
            _ => throw new BenchProtocolException("UNEXPECTED_FRAME", $"expected {typeof(T).Name}, got {frame.Type}"),
        };

    // ---- stage 2: the receive loop ----

    /// <summary>Starts handing every frame to <paramref name="handler"/> until the connection ends.</summary>
    public void StartReceiving(IFrameHandler handler)
    {
        _receivingStarted = true;
        _receiving = Task.Run(() => ReceiveAsync(handler));
    }

    private async Task ReceiveAsync(IFrameHandler handler)
    {
        var reason = "the node closed the connection";
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync();
                var buffer = result.Buffer;
                try
                {
                    while (FrameReader.TryRead(ref buffer, out var frame))
                    {
                        NoteSeq(frame);
                        handler.OnFrame(this, frame, Stopwatch.GetTimestamp());
                    }
                }
                finally
                {
                    _input.AdvanceTo(buffer.Start, buffer.End);
                }

                // One ACK for everything queued that this read brought in.
                if (_highestSeq > _acknowledgedSeq)
                {
                    _ack.UpToSeq = _highestSeq;
                    await WriteAsync(_ack);
                    _acknowledgedSeq = _ack.UpToSeq;
                    handler.OnAcknowledged(this, _acknowledgedSeq, Stopwatch.GetTimestamp());
                }

                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException or ProtocolException)
        {
            reason = e.Message;
        }
        catch (Exception e)
        {
            // A fault of the scenario's handler: it ends this connection and shows up as a lost connection.
            reason = e.ToString();
            await Console.Error.WriteLineAsync($"akkachat-bench: receive loop of {Phone} failed: {e}");
        }
        finally
        {
            await _input.CompleteAsync();
        }

        if (!_closing)
        {
            _closing = true;
            handler.OnLost(this, reason);
        }
    }

    private void NoteSeq(in Frame frame)
    {
        var seq = frame.Message switch
        {
            Deliver d => d.Seq,
            Receipt r => r.Seq,
            GroupInfo g => g.Seq,
            StatusUpdate s => s.Seq,
            _ => 0UL,
        };
        if (seq > _highestSeq)
        {
            _highestSeq = seq;
        }
    }

    // ---- writing ----

    /// <summary>Writes one frame and flushes it.</summary>
    public async ValueTask WriteAsync(IMessage message)
    {
        await _writeLock.WaitAsync();
        try
        {
            FrameWriter.Write(_output, message);
            await FlushLockedAsync();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Takes the write lock for several frames that go out with one flush: <see cref="FrameBatch.Write"/>, then <see cref="FrameBatch.FlushAsync"/>.</summary>
    public async ValueTask<FrameBatch> BeginBatchAsync()
    {
        await _writeLock.WaitAsync();
        return new FrameBatch(this);
    }

    private async ValueTask FlushLockedAsync()
    {
        Interlocked.Exchange(ref _lastWriteMs, Environment.TickCount64);
        var flushed = await _output.FlushAsync();
        if (flushed.IsCompleted)
        {
            throw new IOException("the connection is closed");
        }
    }

    /// <summary>Frames written under the connection's write lock; <see cref="FlushAsync"/> sends them and releases the lock.</summary>
    public readonly struct FrameBatch
    {
        private readonly BenchConnection _connection;

        internal FrameBatch(BenchConnection connection) => _connection = connection;

        public void Write(IMessage message) => FrameWriter.Write(_connection._output, message);

        public async ValueTask FlushAsync()
        {
            try
            {
                await _connection.FlushLockedAsync();
            }
            finally
            {
                _connection._writeLock.Release();
            }
        }
    }

    // ---- closing ----

    /// <summary>Closes the socket (FIN) and waits for the receive loop to end; the handler hears nothing of it.</summary>
    public ValueTask CloseAsync() => DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _closing = true;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // already gone
        }

        if (_receivingStarted)
        {
            await _receiving;
        }
        else
        {
            await _input.CompleteAsync();
        }

        try
        {
            await _output.CompleteAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // unsent bytes of a closed socket
        }

        await _stream.DisposeAsync();
    }
}

/// <summary>A step of the protocol failed; <see cref="Code"/> is what the run counts it as (an ERROR code name, or TIMEOUT, CLOSED ...).</summary>
public sealed class BenchProtocolException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>Names of the ERROR codes as PROTOCOL.md spells them, for counting errors by code.</summary>
public static class ErrorNames
{
    public static string Of(ErrorCode code) => code switch
    {
        ErrorCode.UnsupportedVersion => "UNSUPPORTED_VERSION",
        ErrorCode.UnknownType => "UNKNOWN_TYPE",
        ErrorCode.Malformed => "MALFORMED",
        ErrorCode.Unauthenticated => "UNAUTHENTICATED",
        ErrorCode.AuthFailed => "AUTH_FAILED",
        ErrorCode.BadRequest => "BAD_REQUEST",
        ErrorCode.RateLimited => "RATE_LIMITED",
        ErrorCode.NotFound => "NOT_FOUND",
        ErrorCode.Forbidden => "FORBIDDEN",
        ErrorCode.Replaced => "REPLACED",
        ErrorCode.TooLarge => "TOO_LARGE",
        ErrorCode.Internal => "INTERNAL",
        ErrorCode.Overloaded => "OVERLOADED",
        ErrorCode.IdleTimeout => "IDLE_TIMEOUT",
        _ => $"ERROR_{(uint)code}",
    };
}
