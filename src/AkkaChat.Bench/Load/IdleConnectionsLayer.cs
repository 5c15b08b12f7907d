using System.Net;
using System.Net.Sockets;

namespace AkkaChat.Bench.Load;

/// <summary>
/// idle-connections --layer: how far into the node's per-connection pipeline the measured connections
/// reach, so each layer's memory is the difference between two runs (docs/performance.md).
/// </summary>
public enum IdleConnectionsLayer
{
    /// <summary>Registered and logged in: socket, stream graph, ConnectionActor and UserActor.</summary>
    User,

    /// <summary>Connected, never authenticated: socket, stream graph and ConnectionActor.</summary>
    Connection,

    /// <summary>Node setting diagnostic-layer = stream: socket and stream graph only.</summary>
    Stream,

    /// <summary>Node setting diagnostic-layer = socket: the accepted socket only.</summary>
    Socket,
}

/// <summary>Plain TCP connections for the layers below User: they connect and send nothing.</summary>
public static class IdleSockets
{
    /// <summary>Source addresses 127.0.0.2 ... 127.0.0.251, one per 10,000 connections of a worker's range.</summary>
    public static IPAddress SourceAddress(int userIndex) => new([127, 0, 0, (byte)(2 + userIndex / 10_000 % 250)]);

    public static async Task<List<Socket>> ConnectAsync(IPEndPoint node, int firstUser, int count, int concurrency, WorkerMetrics metrics, CancellationToken cancellationToken)
    {
        var sockets = new List<Socket>(count);
        var loopback = IPAddress.IsLoopback(node.Address);
        using var gate = new SemaphoreSlim(Math.Max(1, concurrency));
        var tasks = Enumerable.Range(firstUser, count).Select(async i =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                var socket = new Socket(node.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                if (loopback && node.AddressFamily == AddressFamily.InterNetwork)
                {
                    socket.Bind(new IPEndPoint(SourceAddress(i), 0)); // spreads ephemeral ports over addresses
                }

                await socket.ConnectAsync(node, cancellationToken);
                lock (sockets)
                {
                    sockets.Add(socket);
                }

                Interlocked.Increment(ref metrics.Connected);
            }
            finally
            {
                gate.Release();
            }
        });
        await Task.WhenAll(tasks);
        return sockets;
    }
}
