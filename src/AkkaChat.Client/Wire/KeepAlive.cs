using AkkaChat.Protocol.Messages;

namespace AkkaChat.Client.Wire;

/// <summary>
/// The one keep-alive of the SDK and the load generator: a connection that wrote nothing for
/// <see cref="Interval"/> gets a PING, which keeps the node's idle timeout (5 minutes by default)
/// from closing it. With a pong timeout, a connection that received nothing at all for that long
/// after a PING counts as dead (a silent network failure) and is aborted, so its owner replaces it.
/// One timer serves any number of connections.
/// </summary>
public sealed class KeepAlive : IAsyncDisposable
{
    private readonly Func<IEnumerable<WireConnection>> _connections;
    private readonly TimeSpan? _pongTimeout;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="connections">The connections to keep alive, asked at every check.</param>
    /// <param name="interval">Longest silence (nothing written) before a PING.</param>
    /// <param name="pongTimeout">How long after a PING nothing may arrive before the connection is aborted; null never aborts.</param>
    public KeepAlive(Func<IEnumerable<WireConnection>> connections, TimeSpan interval, TimeSpan? pongTimeout)
    {
        _connections = connections;
        Interval = interval;
        _pongTimeout = pongTimeout;
        // Checking at half the interval keeps every silence below about 1.5 intervals.
        CheckEvery = TimeSpan.FromTicks(Math.Clamp(interval.Ticks / 2, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(5).Ticks));
        _loop = Task.Run(LoopAsync);
    }

    public TimeSpan Interval { get; }

    public TimeSpan CheckEvery { get; }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(CheckEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                foreach (var connection in _connections())
                {
                    await CheckAsync(connection, Environment.TickCount64);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    private async ValueTask CheckAsync(WireConnection connection, long now)
    {
        if (connection.IsClosed)
        {
            return;
        }

        var unanswered = connection.PingSentMs != 0 && connection.LastReceivedMs < connection.PingSentMs;
        if (unanswered && _pongTimeout is { } timeout && now - connection.PingSentMs >= (long)timeout.TotalMilliseconds)
        {
            connection.Abort($"nothing received within {timeout.TotalSeconds:0.#} s of a PING");
            return;
        }

        if (now - connection.LastWriteMs < (long)Interval.TotalMilliseconds)
        {
            return;
        }

        if (!unanswered)
        {
            connection.PingSentMs = now; // the oldest PING not followed by any frame
        }

        // A failed write aborts the connection; its owner hears of it from the read loop.
        await connection.WriteAsync(new Ping { Nonce = (ulong)Random.Shared.NextInt64() });
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
