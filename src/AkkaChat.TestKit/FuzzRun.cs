using System.Diagnostics;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Fuzzing;
using AkkaChat.Protocol.Messages;

namespace AkkaChat.TestKit;

/// <summary>What a <see cref="FuzzRun"/> sent, and how the node answered.</summary>
public sealed record FuzzReport(long Frames, long Connections, long ClosedByNode, long Resets, TimeSpan Elapsed)
{
    public override string ToString() =>
        $"{Frames:N0} fuzzed frames over {Connections:N0} connections in {Elapsed.TotalSeconds:F1} s " +
        $"({Frames / Math.Max(Elapsed.TotalSeconds, 0.001):N0}/s); closed by the node: {ClosedByNode:N0}, resets: {Resets:N0}";
}

/// <summary>
/// Sends fuzzed frames (<see cref="FrameFuzzer"/>) at a live node from several connections at once,
/// half of them logged in first (so every frame type is tried before and after login). Each
/// connection writes a batch of frames, reads what the node answers until it closes or goes quiet,
/// and is replaced by a fresh one; a batch ends early after a frame that desynchronises the stream.
/// </summary>
public static class FuzzRun
{
    public static async Task<FuzzReport> RunAsync(IChatNode node, long frames, int parallel, int seed, string peer, Func<Task<(string Phone, Google.Protobuf.ByteString Token)>> account)
    {
        var clock = Stopwatch.StartNew();
        long sent = 0, connections = 0, closed = 0, resets = 0;
        var workers = Enumerable.Range(0, parallel).Select(worker => Task.Run(async () =>
        {
            var fuzzer = new FrameFuzzer(seed * 1000 + worker, peer);
            var random = new Random(seed * 7919 + worker);
            var loggedIn = worker % 2 == 1 ? await account() : default;
            while (Interlocked.Read(ref sent) < frames)
            {
                Interlocked.Increment(ref connections);
                await using var client = await node.ConnectAsync();
                if (loggedIn.Phone is not null)
                {
                    await client.LoginAsync(loggedIn.Phone, loggedIn.Token);
                }

                var batch = random.Next(1, 64);
                try
                {
                    for (var i = 0; i < batch; i++)
                    {
                        await client.SendRawAsync(fuzzer.Next(out var kind));
                        Interlocked.Increment(ref sent);
                        if (FrameFuzzer.Desynchronises(kind))
                        {
                            break;
                        }
                    }

                    while (await client.ReadFrameAsync(TimeSpan.FromMilliseconds(100)) is { } frame)
                    {
                        if (frame.Message is Error { ErrorCode: ErrorCode.Internal } error)
                        {
                            throw new ProtocolExpectationException($"the node answered a fuzzed frame with INTERNAL: {error}");
                        }
                    }

                    Interlocked.Increment(ref closed);
                    if (client.ClosedByReset)
                    {
                        Interlocked.Increment(ref resets);
                    }
                }
                catch (TimeoutException)
                {
                    // the node waits for more bytes (a length past the payload) or for the next frame
                }
                catch (IOException)
                {
                    Interlocked.Increment(ref resets); // the node closed while we wrote
                }
            }
        })).ToList();
        await Task.WhenAll(workers);
        return new FuzzReport(sent, connections, closed, resets, clock.Elapsed);
    }
}
