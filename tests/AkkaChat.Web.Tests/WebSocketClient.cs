using System.Net.WebSockets;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Web.Tests;

/// <summary>
/// A plain protocol client over WebSocket, written from ../shared/PROTOCOL.md: one frame per binary
/// message. Like the test kit's TCP ProtocolClient it hides nothing: no retries, no automatic ACKs.
/// </summary>
public sealed class WebSocketClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);
    private readonly ClientWebSocket _socket;

    private WebSocketClient(ClientWebSocket socket) => _socket = socket;

    public static async Task<WebSocketClient> ConnectAsync(int webPort)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{webPort}/v1/ws"), CancellationToken.None);
        return new WebSocketClient(socket);
    }

    /// <summary>The close code the node sent, once it closed.</summary>
    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public Task SendAsync(IMessage message) => SendBinaryAsync(FrameWriter.ToBytes(message));

    public async Task SendBinaryAsync(byte[] bytes) =>
        await _socket.SendAsync(bytes, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);

    public async Task SendTextAsync(string text) =>
        await _socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    /// <summary>The next frame (one binary message), or null once the node closed the WebSocket.</summary>
    public async Task<Frame?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var buffer = new byte[FrameLayout.MaxFrameSize + 1];
        var length = 0;
        while (true)
        {
            var result = await _socket.ReceiveAsync(buffer.AsMemory(length), cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                if (_socket.State == WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                }

                return null;
            }

            if (result.MessageType != WebSocketMessageType.Binary)
            {
                throw new InvalidOperationException("the node sent a text message");
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                return FrameReader.ReadSingle(buffer.AsMemory(0, length)); // throws unless exactly one frame
            }
        }
    }

    public async Task<T> ExpectAsync<T>(TimeSpan? timeout = null)
        where T : IMessage
    {
        var frame = await ReadFrameAsync(timeout) ?? throw new InvalidOperationException($"closed while expecting {typeof(T).Name}");
        return frame.Message is T message
            ? message
            : throw new InvalidOperationException($"expected {typeof(T).Name}, got {frame.Type} {frame.Message}");
    }

    public async Task<Error> ExpectErrorAsync(ErrorCode code)
    {
        var error = await ExpectAsync<Error>();
        Assert.Equal(code, error.ErrorCode);
        return error;
    }

    /// <summary>Waits for the node's close and returns its close code.</summary>
    public async Task<WebSocketCloseStatus> ExpectClosedAsync()
    {
        var frame = await ReadFrameAsync();
        Assert.True(frame is null, $"expected the close, got {frame}");
        return _socket.CloseStatus ?? throw new InvalidOperationException("closed without a close code");
    }

    /// <summary>AUTH_REQUEST_CODE, then AUTH_VERIFY with the dev_code; returns the AUTH_OK (with token).</summary>
    public async Task<AuthOk> RegisterAsync(string phone)
    {
        await SendAsync(new AuthRequestCode { Phone = phone });
        var sent = await ExpectAsync<AuthCodeSent>();
        await SendAsync(new AuthVerify { Phone = phone, Code = sent.DevCode, DeviceName = "websocket test" });
        return await ExpectAsync<AuthOk>();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // the node is gone already
        }

        _socket.Dispose();
    }
}
