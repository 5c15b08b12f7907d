using System.IO.Pipelines;
using System.Net.Sockets;

namespace AkkaChat.Client.Transport;

/// <summary>
/// A TCP socket with a pipe on each side: reads land in pooled 4 KiB segments that frames are cut
/// from in place, writes are gathered and sent on flush. Nagle is off: a frame goes out when flushed.
/// </summary>
public sealed class TcpFrameTransport : IFrameTransport
{
    private static readonly StreamPipeReaderOptions ReaderOptions = new(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true);
    private static readonly StreamPipeWriterOptions WriterOptions = new(minimumBufferSize: 4096, leaveOpen: true);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private int _disposed;

    private TcpFrameTransport(Socket socket, ServerAddress remote)
    {
        _socket = socket;
        Remote = remote;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Input = PipeReader.Create(_stream, ReaderOptions);
        Output = PipeWriter.Create(_stream, WriterOptions);
    }

    public ServerAddress Remote { get; }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public static async Task<IFrameTransport> ConnectAsync(ServerAddress address, TimeSpan timeout, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(address.Host, address.Port, deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"could not connect to {address.Endpoint} within {timeout.TotalSeconds:0.#} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new TcpFrameTransport(socket, address);
    }

    public void CompleteOutput()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // closed under us
        }
    }

    public void Close()
    {
        try
        {
            _stream.Dispose();
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // already gone
        }
    }

    public void Abort()
    {
        try
        {
            _socket.Close(0);
        }
        catch (ObjectDisposedException)
        {
            // already closed
        }
    }

    /// <summary>Closes the socket (a clean close unless unread bytes remain) and completes both pipes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Close();
        await Input.CompleteAsync();
        try
        {
            await Output.CompleteAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // unsent bytes of a closed socket
        }
    }
}
