using System.Buffers;
using System.Net;
using System.Net.Sockets;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;

namespace AkkaChat.Conformance.Tests;

/// <summary>
/// Tiny servers that answer wrongly on purpose, to prove that the kit's checks can fail and say why:
/// one that accepts and never answers, one that answers every PING with the wrong nonce.
/// </summary>
public sealed class FakeServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = new();
    private readonly Task _loop;

    private FakeServer(bool answerPings)
    {
        _listener.Start();
        _loop = Task.Run(() => AcceptAsync(answerPings));
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Accepts connections and reads them, but never writes a byte.</summary>
    public static FakeServer Silent() => new(answerPings: false);

    /// <summary>Answers PING with PONG{nonce + 1} and ignores everything else.</summary>
    public static FakeServer WrongNonce() => new(answerPings: true);

    private async Task AcceptAsync(bool answerPings)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            lock (_clients)
            {
                _clients.Add(client);
            }

            _ = Task.Run(() => ServeAsync(client, answerPings));
        }
    }

    private async Task ServeAsync(TcpClient client, bool answerPings)
    {
        var stream = client.GetStream();
        var buffer = new byte[FrameLayout.MaxFrameSize * 2];
        var filled = 0;
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(filled), _stop.Token);
                if (n == 0)
                {
                    return;
                }

                filled += n;
                var seq = new ReadOnlySequence<byte>(buffer, 0, filled);
                while (FrameReader.TryRead(ref seq, out var frame))
                {
                    if (answerPings && frame.Message is Ping p)
                    {
                        await stream.WriteAsync(FrameWriter.ToBytes(new Pong { Nonce = p.Nonce + 1, ServerTimeMs = 1 }), _stop.Token);
                    }
                }

                var consumed = filled - (int)seq.Length;
                Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                filled -= consumed;
            }
        }
        catch (Exception)
        {
            // the test is over or the kit closed the connection
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients)
        {
            foreach (var c in _clients)
            {
                c.Dispose();
            }
        }

        await _loop;
    }
}
