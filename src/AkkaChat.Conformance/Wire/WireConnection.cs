using System.Buffers;
using System.Net.Sockets;
using System.Threading.Channels;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Conformance.Wire;

/// <summary>
/// One raw TCP connection to the server under test: frames out exactly as given (valid or not),
/// frames in as read by the shared <see cref="FrameReader"/>. Nothing is hidden: no login, no ACK,
/// no retry. Every wait takes a deadline and raises <see cref="CheckFailedException"/> when it passes.
/// </summary>
public sealed class WireConnection : IAsyncDisposable
{
    // Frames read and not yet taken by the check. Bounded: a server that floods a check stalls on
    // its own socket instead of growing this process without limit.
    private readonly Channel<Frame> _inbox = Channel.CreateBounded<Frame>(new BoundedChannelOptions(16_384) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;

    private WireConnection(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>Why the server's side ended: null while open, else "closed" or the read error.</summary>
    public string? ClosedReason { get; private set; }

    public static async Task<WireConnection> ConnectAsync(string host, int port, TimeSpan deadline)
    {
        var tcp = new TcpClient { NoDelay = true };
        using var cts = new CancellationTokenSource(deadline);
        try
        {
            await tcp.ConnectAsync(host, port, cts.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            tcp.Dispose();
            throw new CheckFailedException($"cannot connect to {host}:{port}: {(e is OperationCanceledException ? "timed out" : e.Message)}");
        }

        return new WireConnection(tcp);
    }

    public Task SendAsync(IMessage message) => WriteAsync(FrameWriter.ToBytes(message));

    /// <summary>Writes bytes as they are: frames the codec would never produce, or part of a frame.</summary>
    public async Task WriteAsync(ReadOnlyMemory<byte> bytes)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _stream.WriteAsync(bytes);
            await _stream.FlushAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The server may close first (that is what some checks provoke); reading tells.
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public static byte[] Raw(byte version, byte type, ReadOnlySpan<byte> payload)
    {
        var buffer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteRaw(buffer, version, type, payload);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The next frame, or null when the server closed the connection; fails after the deadline.</summary>
    public async Task<Frame?> ReceiveAsync(TimeSpan deadline, string waitingFor)
    {
        using var cts = new CancellationTokenSource(deadline);
        try
        {
            if (await _inbox.Reader.WaitToReadAsync(cts.Token) && _inbox.Reader.TryRead(out var frame))
            {
                return frame;
            }

            return null;
        }
        catch (OperationCanceledException)
        {
            throw new CheckFailedException($"no answer within {deadline.TotalSeconds:0.#} s while waiting for {waitingFor}");
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads until a frame of type <typeparamref name="T"/> that matches <paramref name="match"/>;
    /// frames of other types are passed to <paramref name="other"/> (default: skipped, except that an
    /// ERROR or the connection closing fails the check with what the server said).
    /// </summary>
    public async Task<T> ExpectAsync<T>(TimeSpan deadline, string what, Func<T, bool>? match = null, Func<Frame, bool>? skip = null)
        where T : class, IMessage
    {
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            var left = until - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new CheckFailedException($"no {what} within {deadline.TotalSeconds:0.#} s");
            }

            var frame = await ReceiveAsync(left, what);
            if (frame is null)
            {
                throw new CheckFailedException($"the server closed the connection while waiting for {what}");
            }

            if (frame.Value.Message is T typed && (match is null || match(typed)))
            {
                return typed;
            }

            if (skip is not null && skip(frame.Value))
            {
                continue;
            }

            if (frame.Value.Message is Error error && typeof(T) != typeof(Error))
            {
                throw new CheckFailedException($"got {Describe(frame.Value)} while waiting for {what}");
            }
        }
    }

    /// <summary>The next ERROR (other frames skipped); fails if it has another code.</summary>
    public async Task<Error> ExpectErrorAsync(ErrorCode code, TimeSpan deadline, string? reference = null)
    {
        var error = await ExpectAsync<Error>(deadline, $"ERROR{{{Name(code)}}}");
        if (error.Code != (uint)code)
        {
            throw new CheckFailedException($"expected ERROR{{{Name(code)}}}, got ERROR{{{Name((ErrorCode)error.Code)}, \"{error.Message}\"}}");
        }

        if (reference is not null && error.Ref != reference)
        {
            throw new CheckFailedException($"ERROR{{{Name(code)}}} carries ref \"{error.Ref}\", expected \"{reference}\"");
        }

        return error;
    }

    /// <summary>Waits until the server closes; frames before the close are ignored.</summary>
    public async Task ExpectClosedAsync(TimeSpan deadline, string after)
    {
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            var left = until - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new CheckFailedException($"the connection stayed open {deadline.TotalSeconds:0.#} s after {after}");
            }

            Frame? frame;
            try
            {
                frame = await ReceiveAsync(left, "the connection to close");
            }
            catch (CheckFailedException)
            {
                throw new CheckFailedException($"the connection stayed open {deadline.TotalSeconds:0.#} s after {after}");
            }

            if (frame is null)
            {
                return;
            }
        }
    }

    /// <summary>Proves the connection is open and in frame: a PING with a fresh nonce gets its PONG.</summary>
    public async Task ExpectAliveAsync(TimeSpan deadline, string after)
    {
        var nonce = (ulong)Random.Shared.NextInt64(1, long.MaxValue);
        await SendAsync(new Ping { Nonce = nonce });
        try
        {
            await ExpectAsync<Pong>(deadline, "PONG", p => p.Nonce == nonce);
        }
        catch (CheckFailedException e)
        {
            throw new CheckFailedException($"the connection did not stay usable after {after}: {e.Message}");
        }
    }

    /// <summary>Frames that arrive within <paramref name="window"/>; used to assert that something does NOT come.</summary>
    public async Task<List<Frame>> DrainAsync(TimeSpan window)
    {
        var frames = new List<Frame>();
        var until = DateTime.UtcNow + window;
        while (DateTime.UtcNow < until)
        {
            using var cts = new CancellationTokenSource(until - DateTime.UtcNow);
            try
            {
                if (!await _inbox.Reader.WaitToReadAsync(cts.Token))
                {
                    break;
                }

                while (_inbox.Reader.TryRead(out var f))
                {
                    frames.Add(f);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return frames;
    }

    public static string Name(ErrorCode code) => code switch
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
        _ => $"code {(uint)code}",
    };

    public static string Describe(Frame frame) => frame.Message switch
    {
        Error e => $"ERROR{{{Name((ErrorCode)e.Code)}, \"{e.Message}\"{(e.Ref.Length > 0 ? $", ref={e.Ref}" : "")}}}",
        null => $"a frame of unassigned type 0x{(byte)frame.Type:X2}",
        _ => frame.Type.ToString(),
    };

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[FrameLayout.MaxFrameSize * 2];
        var filled = 0;
        try
        {
            while (true)
            {
                var n = await _stream.ReadAsync(buffer.AsMemory(filled), _stop.Token);
                if (n == 0)
                {
                    ClosedReason = "closed";
                    break;
                }

                filled += n;
                var sequence = new ReadOnlySequence<byte>(buffer, 0, filled);
                while (FrameReader.TryRead(ref sequence, out var frame))
                {
                    await _inbox.Writer.WriteAsync(frame, _stop.Token);
                }

                var consumed = filled - (int)sequence.Length;
                Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                filled -= consumed;
            }
        }
        catch (ProtocolException e)
        {
            ClosedReason = $"the server sent bytes that are not a valid frame: {e.Message}";
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            ClosedReason = e is OperationCanceledException ? "closed by the check" : $"reset: {e.Message}";
        }
        finally
        {
            _inbox.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _tcp.Dispose();
        try
        {
            await _reader;
        }
        catch (Exception)
        {
            // the reader ends with the socket
        }

        _stop.Dispose();
    }
}
