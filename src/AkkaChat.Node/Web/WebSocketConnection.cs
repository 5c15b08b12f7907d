using System.Buffers;
using System.Buffers.Binary;
using System.Net.WebSockets;
using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using AkkaChat.Protocol;
using ByteString = Akka.IO.ByteString;
using ProtocolError = AkkaChat.Protocol.Messages.Error;

namespace AkkaChat.Node.Web;

/// <summary>
/// Runs one accepted WebSocket through the flow of an admitted connection (a ConnectionStage and its
/// ConnectionActor, exactly as for TCP): each binary message in is one frame, each frame out is one
/// binary message. The stage pulls a message only when its receive window has room, so a client that
/// floods is backpressured through WebSocket and TCP flow control; frames the client does not read
/// fill the stage's send buffer and close the connection as a slow reader.
/// <para>Close codes (RFC 6455): the node sends ERROR first, then closes with
/// 1003 after a text message, 1009 after a message longer than the largest frame, 1002 after a
/// message that is not exactly one frame or a frame the node cannot decode (MALFORMED,
/// UNSUPPORTED_VERSION), 1008 after UNAUTHENTICATED or AUTH_FAILED, 1013 after OVERLOADED, 1011 when
/// the connection fails (slow reader, internal error) and 1000 otherwise (REPLACED, IDLE_TIMEOUT,
/// shutdown, or the client's own close).</para>
/// </summary>
internal sealed class WebSocketConnection
{
    private readonly WebSocket _socket;
    private readonly TimeSpan _closeTimeout;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string _closeReason = "closed";
    private bool _clientClosed;

    public WebSocketConnection(WebSocket socket, TimeSpan closeTimeout)
    {
        _socket = socket;
        _closeTimeout = closeTimeout;
    }

    /// <summary>Runs until either side closes; returns once the socket is closed or aborted.</summary>
    public async Task RunAsync(Flow<ByteString, ByteString, NotUsed> connection, IMaterializer materializer)
    {
        var done = Source.UnfoldAsync(0, async _ => await ReceiveFrameAsync() is { } frame ? (0, frame) : Akka.Util.Option<(int, ByteString)>.None)
            .Via(connection)
            .RunWith(Sink.ForEachAsync<ByteString>(1, SendFrameAsync), materializer);
        try
        {
            await done;
        }
        catch (Exception e)
        {
            // The connection failed: the stage gave up on a slow reader, or the socket broke.
            SetClose(WebSocketCloseStatus.InternalServerError, e is Transport.SlowReaderException ? "slow reader" : "connection failed");
        }

        await CloseAsync();
    }

    /// <summary>
    /// The next binary message, checked to be exactly one frame; null once the client closed or the
    /// message broke the transport's rule (then ERROR{MALFORMED} has been sent). An idle connection
    /// holds no receive buffer: a zero-byte receive waits for the next message, and only then is a
    /// buffer of the largest frame rented from the shared pool, for as long as that message takes.
    /// </summary>
    private async Task<ByteString?> ReceiveFrameAsync()
    {
        byte[]? buffer = null;
        try
        {
            var result = await _socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
            buffer = ArrayPool<byte>.Shared.Rent(FrameLayout.MaxFrameSize);
            var length = 0;
            while (true)
            {
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _clientClosed = true;
                    return null;
                }

                if (result.MessageType == WebSocketMessageType.Text)
                {
                    await RefuseAsync(WebSocketCloseStatus.InvalidMessageType, "text messages are not part of the protocol; send each frame as one binary message");
                    return null;
                }

                length += result.Count;
                if (result.EndOfMessage)
                {
                    break;
                }

                if (length == FrameLayout.MaxFrameSize)
                {
                    await RefuseAsync(WebSocketCloseStatus.MessageTooBig, $"a message is at most one frame ({FrameLayout.MaxFrameSize} bytes)");
                    return null;
                }

                result = await _socket.ReceiveAsync(buffer.AsMemory(length, FrameLayout.MaxFrameSize - length), CancellationToken.None);
            }

            // A wrong version byte goes through: the stage answers UNSUPPORTED_VERSION as on TCP.
            if (length == 0 || (buffer[0] == FrameLayout.Version &&
                (length < FrameLayout.HeaderSize || FrameLayout.HeaderSize + BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2)) != length)))
            {
                await RefuseAsync(WebSocketCloseStatus.ProtocolError, "a binary message must hold exactly one frame");
                return null;
            }

            return ByteString.CopyFrom(buffer, 0, length);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _clientClosed = true; // the socket broke or was aborted: nothing more to read
            return null;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private async Task RefuseAsync(WebSocketCloseStatus status, string message)
    {
        SetClose(status, "malformed");
        await SendFrameAsync(ByteString.FromBytes(FrameWriter.ToBytes(ProtocolError.Of(ErrorCode.Malformed, message))));
    }

    private async Task SendFrameAsync(ByteString frame)
    {
        if (frame.Count > 1 && frame[1] == (byte)FrameType.Error)
        {
            NoteError(frame);
        }

        await _sending.WaitAsync();
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.SendAsync(frame.ToArray(), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
        {
            // The client is gone; the stage learns it when the read side ends.
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>The close code follows the last ERROR that closes a connection.</summary>
    private void NoteError(ByteString frame)
    {
        ProtocolError error;
        try
        {
            error = (ProtocolError)FrameReader.ReadSingle(frame.ToArray()).Message!;
        }
        catch (ProtocolException)
        {
            return;
        }

        var status = error.ErrorCode switch
        {
            ErrorCode.Malformed or ErrorCode.UnsupportedVersion => WebSocketCloseStatus.ProtocolError,
            ErrorCode.Unauthenticated or ErrorCode.AuthFailed => WebSocketCloseStatus.PolicyViolation,
            ErrorCode.Overloaded => (WebSocketCloseStatus)1013, // Try Again Later
            _ => WebSocketCloseStatus.NormalClosure,
        };
        if (ProtocolRules.ClosesConnection(error.ErrorCode, error.Ref) && _closeStatus == WebSocketCloseStatus.NormalClosure)
        {
            SetClose(status, error.ErrorCode.ToString().ToUpperInvariant());
        }
    }

    private void SetClose(WebSocketCloseStatus status, string reason)
    {
        _closeStatus = status;
        _closeReason = reason;
    }

    private async Task CloseAsync()
    {
        using var timeout = new CancellationTokenSource(_closeTimeout);
        await _sending.WaitAsync();
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                var status = _clientClosed && _closeStatus == WebSocketCloseStatus.NormalClosure ? WebSocketCloseStatus.NormalClosure : _closeStatus;
                await _socket.CloseAsync(status, _closeReason, timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _socket.Abort();
        }
        finally
        {
            _sending.Release();
        }
    }
}
