using System.IO.Pipelines;

namespace AkkaChat.Client.Transport;

/// <summary>
/// The byte stream a <see cref="Wire.WireConnection"/> reads frames from and writes frames to.
/// Two implement it: TCP (<see cref="TcpFrameTransport"/>) and WebSocket
/// (<see cref="WebSocketFrameTransport"/>), chosen by the scheme of the
/// <see cref="ServerAddress"/> in <see cref="FrameTransports.ConnectAsync"/>.
/// </summary>
public interface IFrameTransport : IAsyncDisposable
{
    /// <summary>The server this transport is connected to.</summary>
    ServerAddress Remote { get; }

    /// <summary>Bytes from the server. Completes (IsCompleted) when the server closed its side cleanly.</summary>
    PipeReader Input { get; }

    /// <summary>Bytes to the server; a flush sends what was written.</summary>
    PipeWriter Output { get; }

    /// <summary>Tells the server nothing more will be written (TCP: FIN), while still reading its side.</summary>
    void CompleteOutput();

    /// <summary>Closes at once without a reset (TCP: close with FIN); pending reads and writes fail. The pipes stay to be completed by their users.</summary>
    void Close();

    /// <summary>Ends the transport at once (TCP: a reset); pending reads and writes fail.</summary>
    void Abort();
}

/// <summary>Opens the transport a server address names.</summary>
public static class FrameTransports
{
    /// <summary>
    /// Connects to <paramref name="address"/>. Throws <see cref="System.Net.Sockets.SocketException"/>
    /// when the host is unknown or refuses, <see cref="IOException"/> when a ws:// server answers without
    /// upgrading, <see cref="TimeoutException"/> after <paramref name="timeout"/>,
    /// <see cref="NotSupportedException"/> for a scheme without a transport.
    /// </summary>
    public static Task<IFrameTransport> ConnectAsync(ServerAddress address, TimeSpan timeout, CancellationToken ct) => address.Scheme switch
    {
        ServerAddress.Tcp => TcpFrameTransport.ConnectAsync(address, timeout, ct),
        ServerAddress.WebSocket => WebSocketFrameTransport.ConnectAsync(address, timeout, ct),
        _ => throw new NotSupportedException($"no transport for '{address.Scheme}://' (this SDK speaks {ServerAddress.Tcp}:// and {ServerAddress.WebSocket}://)"),
    };
}
