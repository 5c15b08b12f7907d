using AkkaChat.Client.Transport;
using AkkaChat.Client.Wire;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.TestKit;

/// <summary>
/// A deliberately plain protocol client for tests: one connection, frames in and out, no retries and
/// no hidden ACKs, so each test states every step the protocol asks of a client. Framing and I/O are
/// the SDK's <see cref="WireConnection"/>, read one frame at a time. The Expect* methods throw
/// <see cref="ProtocolExpectationException"/> when the node answers otherwise.
/// </summary>
public sealed class ProtocolClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly WireConnection _wire;
    private bool _closed;

    private ProtocolClient(WireConnection wire) => _wire = wire;

    public static async Task<ProtocolClient> ConnectAsync(int port, string host = "127.0.0.1") =>
        new(await WireConnection.OpenAsync(ServerAddress.ForTcp(host, port), DefaultTimeout, CancellationToken.None));

    /// <summary>True when the connection ended with a reset rather than a clean close (FIN).</summary>
    public bool ClosedByReset { get; private set; }

    public async Task SendAsync(IMessage message)
    {
        if (!await _wire.WriteAsync(message))
        {
            throw new IOException("the connection is closed");
        }
    }

    public async Task SendRawAsync(byte[] bytes)
    {
        if (!await _wire.WriteRawAsync(bytes))
        {
            throw new IOException("the connection is closed");
        }
    }

    /// <summary>
    /// The next frame, or null once the node closed the connection. On the node's FIN the client
    /// closes its side too, as any client does, so the node's close completes.
    /// </summary>
    public async Task<Frame?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        if (_closed)
        {
            return null;
        }

        Frame? frame;
        try
        {
            frame = await _wire.ReadFrameAsync(timeout ?? DefaultTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no frame within {timeout ?? DefaultTimeout}");
        }
        catch (IOException)
        {
            ClosedByReset = true;
            _closed = true;
            return null;
        }

        if (frame is null)
        {
            _closed = true;
            await _wire.DisposeAsync();
        }

        return frame;
    }

    public async Task<T> ExpectAsync<T>(TimeSpan? timeout = null)
        where T : class, IMessage
    {
        var frame = await ReadFrameAsync(timeout);
        return frame?.Message switch
        {
            T expected => expected,
            null when frame is null => throw new ProtocolExpectationException($"connection closed while expecting {typeof(T).Name}"),
            var other => throw new ProtocolExpectationException($"expected {typeof(T).Name}, got {frame?.Type}: {other}"),
        };
    }

    public async Task<Error> ExpectErrorAsync(ErrorCode code, string? reference = null)
    {
        var error = await ExpectAsync<Error>();
        if (error.ErrorCode != code || (reference is not null && error.Ref != reference))
        {
            throw new ProtocolExpectationException($"expected ERROR{{{code}{(reference is null ? "" : ", ref=" + reference)}}}, got {error}");
        }

        return error;
    }

    /// <summary>Asserts the node closes the connection cleanly (FIN, not a reset), with no further frame.</summary>
    public async Task ExpectClosedAsync(TimeSpan? timeout = null, bool allowReset = false)
    {
        var frame = await ReadFrameAsync(timeout);
        if (frame is not null)
        {
            throw new ProtocolExpectationException($"expected the connection to close, got {frame.Value.Type}: {frame.Value.Message}");
        }

        if (ClosedByReset && !allowReset)
        {
            throw new ProtocolExpectationException("the node reset the connection instead of closing it cleanly");
        }
    }

    /// <summary>Asserts the connection is open and every earlier frame was handled: PING gets its PONG next.</summary>
    public async Task ExpectAliveAsync()
    {
        var nonce = (ulong)Random.Shared.NextInt64();
        await SendAsync(new Ping { Nonce = nonce });
        var pong = await ExpectAsync<Pong>();
        if (pong.Nonce != nonce)
        {
            throw new ProtocolExpectationException($"PONG carries nonce {pong.Nonce}, PING sent {nonce}");
        }
    }

    // ---- registration and login, as the spec describes them ----

    /// <summary>AUTH_REQUEST_CODE, then AUTH_VERIFY with the dev_code; returns the AUTH_OK (with token).</summary>
    public async Task<AuthOk> RegisterAsync(string phone)
    {
        await SendAsync(new AuthRequestCode { Phone = phone });
        var sent = await ExpectAsync<AuthCodeSent>();
        if (sent.DevCode.Length != 6 || !sent.DevCode.All(char.IsAsciiDigit))
        {
            throw new ProtocolExpectationException($"AUTH_CODE_SENT carries no 6-digit dev_code ('{sent.DevCode}'): run the node with akkachat.auth.reveal-codes = on");
        }
        await SendAsync(new AuthVerify { Phone = phone, Code = sent.DevCode, DeviceName = "test" });
        var ok = await ExpectAsync<AuthOk>();
        if (ok.Token.Length < 32)
        {
            throw new ProtocolExpectationException($"AUTH_OK token is {ok.Token.Length} bytes; at least 32 expected");
        }

        return ok;
    }

    public async Task<AuthOk> LoginAsync(string phone, ByteString token)
    {
        await SendAsync(new AuthLogin { Phone = phone, Token = token });
        return await ExpectAsync<AuthOk>();
    }

    public async Task<SendAck> SendTextAsync(string to, string clientMsgId, string text)
    {
        await SendAsync(new Send { ClientMsgId = clientMsgId, To = to, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8(text) });
        var ack = await ExpectAsync<SendAck>();
        if (ack.ClientMsgId != clientMsgId)
        {
            throw new ProtocolExpectationException($"SEND_ACK for '{ack.ClientMsgId}', expected '{clientMsgId}'");
        }

        return ack;
    }

    public ValueTask DisposeAsync() => _wire.DisposeAsync();
}

/// <summary>The node answered something other than what a <see cref="ProtocolClient"/> call expected.</summary>
public sealed class ProtocolExpectationException(string message) : Exception(message);
