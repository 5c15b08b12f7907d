using AkkaChat.Bench.Wire;
using AkkaChat.Protocol.Messages;

namespace AkkaChat.Bench.Load;

/// <summary>
/// Keeps idle connections from the node's idle timeout (default 5 minutes): a connection that wrote
/// nothing for <see cref="Interval"/> sends a PING. One timer for all connections of the process.
/// </summary>
public sealed class KeepAlive : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(5);

    private readonly Func<IEnumerable<BenchConnection>> _connections;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private ulong _nonce;

    public KeepAlive(Func<IEnumerable<BenchConnection>> connections)
    {
        _connections = connections;
        _loop = Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(CheckEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var silentSince = Environment.TickCount64 - (long)Interval.TotalMilliseconds;
                foreach (var connection in _connections())
                {
                    if (connection.IsOpen && connection.LastWriteMs <= silentSince)
                    {
                        await PingAsync(connection);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    private async Task PingAsync(BenchConnection connection)
    {
        try
        {
            await connection.WriteAsync(new Ping { Nonce = ++_nonce });
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // the receive loop reports the lost connection
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
