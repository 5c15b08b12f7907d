using System.Diagnostics;
using System.Net;
using AkkaChat.Client;
using AkkaChat.Client.Transport;
using AkkaChat.Client.Wire;
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
/// One client connection of the load generator, speaking the raw wire protocol and nothing more: no
/// retries, no reconnects, no message store. It is the SDK's <see cref="WireConnection"/> (framing,
/// login, writes) with the bench's receive path on top. Two stages:
/// <list type="number">
/// <item>request and answer (<see cref="RegisterAsync"/>, <see cref="LoginAsync"/>), reading frames one by one;</item>
/// <item>after <see cref="StartReceiving"/>, the read loop hands every frame to an <see cref="IFrameHandler"/>
///   and acknowledges queued items (DELIVER, RECEIPT, ...) with one ACK per read from the socket.</item>
/// </list>
/// The receive path allocates nothing per frame beyond the parsed message; writes are batched under
/// the connection's write lock (<see cref="FrameBatch"/>).
/// </summary>
public sealed class BenchConnection : IFrameReceiver, IAsyncDisposable
{
    /// <summary>How long one request of the login stage may wait for its answer.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long closing waits for the node to close its side after the bench's FIN.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);

    private readonly WireConnection _wire;
    private readonly Ack _ack = new();
    private IFrameHandler? _handler;
    private ulong _highestSeq;
    private ulong _acknowledgedSeq;
    private volatile bool _closing;
    private int _disposed;

    private BenchConnection(WireConnection wire, string phone)
    {
        _wire = wire;
        Phone = phone;
    }

    /// <summary>The user this connection is (or is becoming) logged in as.</summary>
    public string Phone { get; }

    /// <summary>The SDK connection underneath, for the shared keep-alive.</summary>
    public WireConnection Wire => _wire;

    /// <summary>False once the bench began closing the connection or the connection was lost.</summary>
    public bool IsOpen => !_closing;

    public static async Task<BenchConnection> ConnectAsync(ServerAddress address, string phone, CancellationToken cancellationToken) =>
        new(await WireConnection.OpenAsync(address, AnswerTimeout, cancellationToken), phone);

    // ---- stage 1: request and answer ----

    /// <summary>AUTH_REQUEST_CODE, then AUTH_VERIFY with the code the node reveals; the connection is then logged in.</summary>
    public Task<AuthOk> RegisterAsync(CancellationToken cancellationToken) =>
        CountedAsync(() => _wire.RegisterWithRevealedCodeAsync(Phone, "akkachat-bench", AnswerTimeout, cancellationToken), cancellationToken);

    /// <summary>AUTH_LOGIN with a token from registration; AUTH_OK.pending counts the queued items.</summary>
    public Task<AuthOk> LoginAsync(ByteString token, CancellationToken cancellationToken) =>
        CountedAsync(() => _wire.LoginAsync(Phone, token.Memory, AnswerTimeout, cancellationToken), cancellationToken);

    /// <summary>Runs a login-stage request; a failure becomes a <see cref="BenchProtocolException"/> named as the run counts it.</summary>
    private static async Task<T> CountedAsync<T>(Func<Task<T>> request, CancellationToken cancellationToken)
    {
        try
        {
            return await request();
        }
        catch (AkkaChatException e)
        {
            throw new BenchProtocolException(ErrorNames.Of(e.Code), e.Message);
        }
        catch (TimeoutException e)
        {
            throw new BenchProtocolException("TIMEOUT", e.Message);
        }
        catch (IOException e)
        {
            throw new BenchProtocolException("CLOSED", e.Message);
        }
        catch (InvalidOperationException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BenchProtocolException("NO_DEV_CODE", e.Message);
        }
    }

    // ---- stage 2: the receive loop ----

    /// <summary>Starts handing every frame to <paramref name="handler"/> until the connection ends.</summary>
    public void StartReceiving(IFrameHandler handler)
    {
        _handler = handler;
        _wire.StartReceiving(this);
        _ = _wire.Closed.ContinueWith(closed =>
        {
            if (!_closing)
            {
                _closing = true;
                handler.OnLost(this, closed.Result.Reason);
            }
        }, TaskScheduler.Default);
    }

    ValueTask IFrameReceiver.OnFrameAsync(WireConnection connection, Frame frame)
    {
        NoteSeq(frame);
        _handler!.OnFrame(this, frame, Stopwatch.GetTimestamp());
        return ValueTask.CompletedTask;
    }

    /// <summary>One ACK for everything queued that this read brought in.</summary>
    async ValueTask IFrameReceiver.OnFramesReadAsync(WireConnection connection)
    {
        if (_highestSeq > _acknowledgedSeq)
        {
            _ack.UpToSeq = _highestSeq;
            if (!await _wire.WriteAsync(_ack))
            {
                throw new IOException("the connection is closed");
            }

            _acknowledgedSeq = _ack.UpToSeq;
            _handler!.OnAcknowledged(this, _acknowledgedSeq, Stopwatch.GetTimestamp());
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

    /// <summary>Writes one frame and flushes it; throws <see cref="IOException"/> when the connection is closed.</summary>
    public async ValueTask WriteAsync(IMessage message)
    {
        if (!await _wire.WriteAsync(message))
        {
            throw new IOException("the connection is closed");
        }
    }

    /// <summary>Takes the write lock for several frames that go out with one flush: <see cref="FrameBatch.Write"/>, then <see cref="FrameBatch.FlushAsync"/>.</summary>
    public async ValueTask<FrameBatch> BeginBatchAsync() =>
        await _wire.BeginBatchAsync() is { } batch ? new FrameBatch(batch) : throw new IOException("the connection is closed");

    /// <summary>Frames written under the connection's write lock; <see cref="FlushAsync"/> sends them and releases the lock.</summary>
    public readonly struct FrameBatch
    {
        private readonly WireConnection.FrameBatch _batch;

        internal FrameBatch(WireConnection.FrameBatch batch) => _batch = batch;

        public void Write(IMessage message) => _batch.Write(message);

        public async ValueTask FlushAsync()
        {
            if (!await _batch.FlushAsync())
            {
                throw new IOException("the connection is closed");
            }
        }
    }

    // ---- closing ----

    /// <summary>Closes the connection (FIN, then the node's close) and waits for the receive loop to end; the handler hears nothing of it.</summary>
    public ValueTask CloseAsync() => DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _closing = true;
        await _wire.CloseAsync(CloseGrace);
        await _wire.DisposeAsync();
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
