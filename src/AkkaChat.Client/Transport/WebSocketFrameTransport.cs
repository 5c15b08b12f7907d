using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.WebSockets;
using AkkaChat.Protocol;

namespace AkkaChat.Client.Transport;

/// <summary>
/// The protocol over a WebSocket (<c>ws://HOST:PORT/v1/ws</c>): one frame per binary WebSocket
/// message, the same bytes as on TCP. The connection above it sees the same byte pipes as over TCP:
/// outgoing bytes are cut into whole frames by their headers, each sent as one binary message;
/// incoming messages are appended to the input pipe. WebSocket keep-alive pings are off, since the
/// protocol's PING already keeps the connection alive.
/// </summary>
public sealed class WebSocketFrameTransport : IFrameTransport
{
    /// <summary>The path the node serves the protocol at when the address names none.</summary>
    public const string DefaultPath = "/v1/ws";

    private static readonly PipeOptions PipeOptions = new(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false);

    private readonly ClientWebSocket _socket;
    private readonly Pipe _inbound = new(PipeOptions);
    private readonly Pipe _outbound = new(PipeOptions);
    private readonly CancellationTokenSource _abort = new();
    private readonly Task _receiving;
    private readonly Task _sending;
    private int _outputCompleted;
    private int _disposed;

    private WebSocketFrameTransport(ClientWebSocket socket, ServerAddress remote)
    {
        _socket = socket;
        Remote = remote;
        _receiving = Task.Run(ReceiveLoopAsync);
        _sending = Task.Run(SendLoopAsync);
    }

    public ServerAddress Remote { get; }

    public PipeReader Input => _inbound.Reader;

    public PipeWriter Output => _outbound.Writer;

    /// <summary>The URI a <c>ws://</c> address names: its path, or <see cref="DefaultPath"/>.</summary>
    public static Uri UriOf(ServerAddress address) =>
        new($"{address.Scheme}://{address.Endpoint}{(string.IsNullOrEmpty(address.Path) ? DefaultPath : address.Path)}");

    public static async Task<IFrameTransport> ConnectAsync(ServerAddress address, TimeSpan timeout, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(UriOf(address), deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"could not open {UriOf(address)} within {timeout.TotalSeconds:0.#} s");
        }
        catch (WebSocketException e)
        {
            socket.Dispose();
            // A refused or unknown host throws what it throws over TCP, so callers fail over alike;
            // a server that answers but does not upgrade (no WebSocket at that path) is an IOException.
            for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
            {
                if (inner is System.Net.Sockets.SocketException refused)
                {
                    throw new System.Net.Sockets.SocketException(refused.ErrorCode, $"could not open {UriOf(address)}: {refused.Message}");
                }
            }

            throw new IOException($"could not open {UriOf(address)}: {e.Message}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new WebSocketFrameTransport(socket, address);
    }

    /// <summary>Each binary message's bytes go to the input pipe; the server's close completes it cleanly.</summary>
    private async Task ReceiveLoopAsync()
    {
        var writer = _inbound.Writer;
        Exception? failure = null;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(4096);
                var result = await _socket.ReceiveAsync(memory, _abort.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                if (result.MessageType == WebSocketMessageType.Text)
                {
                    failure = new IOException("the server sent a text WebSocket message; the protocol is binary");
                    break;
                }

                writer.Advance(result.Count);
                if (result.EndOfMessage)
                {
                    var flushed = await writer.FlushAsync(_abort.Token);
                    if (flushed.IsCompleted)
                    {
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            failure = new IOException("the WebSocket was closed");
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
        {
            failure = new IOException($"the WebSocket failed: {e.Message}", e);
        }

        await writer.CompleteAsync(failure);
    }

    /// <summary>
    /// Cuts whole frames out of the output pipe by their headers and sends each as one binary
    /// message. When the output completes (everything written is sent) or the transport is closed
    /// (what is unsent is dropped), the close message goes out; the server's close then ends Input.
    /// </summary>
    private async Task SendLoopAsync()
    {
        var reader = _outbound.Reader;
        var frame = ArrayPool<byte>.Shared.Rent(FrameLayout.MaxFrameSize);
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync();
                if (read.IsCanceled)
                {
                    break;
                }

                var buffer = read.Buffer;
                while (TryCut(ref buffer, frame, out var length))
                {
                    await _socket.SendAsync(frame.AsMemory(0, length), WebSocketMessageType.Binary, endOfMessage: true, _abort.Token);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }

            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, _abort.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // aborted or closed under us: the receive side reports the end to the connection
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
            await reader.CompleteAsync();
        }
    }

    /// <summary>Copies the first whole frame of <paramref name="buffer"/> into <paramref name="frame"/>, if one is there.</summary>
    private static bool TryCut(ref ReadOnlySequence<byte> buffer, byte[] frame, out int length)
    {
        length = 0;
        if (buffer.Length < FrameLayout.HeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[FrameLayout.HeaderSize];
        buffer.Slice(0, FrameLayout.HeaderSize).CopyTo(header);
        length = FrameLayout.HeaderSize + BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        if (buffer.Length < length)
        {
            return false;
        }

        buffer.Slice(0, length).CopyTo(frame);
        buffer = buffer.Slice(length);
        return true;
    }

    /// <summary>Sends what was written, then the WebSocket close message; the server's close still arrives on Input.</summary>
    public void CompleteOutput()
    {
        if (Interlocked.Exchange(ref _outputCompleted, 1) == 0)
        {
            _outbound.Writer.Complete();
        }
    }

    /// <summary>Closes at once: what is unsent is dropped, the close message is sent, and the socket is ended a moment later.</summary>
    public void Close()
    {
        _outbound.Reader.CancelPendingRead();
        _ = AbortAfterCloseAsync();
    }

    private async Task AbortAfterCloseAsync()
    {
        await Task.WhenAny(_sending, Task.Delay(TimeSpan.FromSeconds(1)));
        Abort();
    }

    public void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // disposed
        }

        _socket.Abort();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Close();
        await Task.WhenAny(_sending, Task.Delay(TimeSpan.FromSeconds(1)));
        Abort();
        await Task.WhenAll(_receiving, _sending);
        await _inbound.Reader.CompleteAsync();
        if (Interlocked.Exchange(ref _outputCompleted, 1) == 0)
        {
            await _outbound.Writer.CompleteAsync();
        }

        _socket.Dispose();
        _abort.Dispose();
    }
}
