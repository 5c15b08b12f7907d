using System.Diagnostics;
using System.Text.RegularExpressions;
using AkkaChat.Bench.Load;
using AkkaChat.Bench.Reporting;
using AkkaChat.Bench.Scenarios;
using AkkaChat.Client.Wire;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Fuzzing;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Bench.Features;

/// <summary>
/// fuzz: --frames fuzzed frames (<see cref="FrameFuzzer"/>, every <see cref="FuzzKind"/>) from
/// --parallel connections at once, half of them logged in first so every frame type is tried before
/// and after login. Each connection writes a batch of frames, reads what the node answers until it
/// closes or goes quiet, and is replaced by a fresh one; a batch ends early after a frame that
/// desynchronises the stream. Before and after: a normal exchange (SEND, SEND_ACK, DELIVER, ACK), the
/// node's managed heap after a full GC and its RSS. At the end the node's log is searched for error
/// lines and exceptions other than ProtocolException (the protocol's own rejections).
/// </summary>
public static partial class FuzzScenario
{
    /// <summary>Users the scenario registers: two per exchange (before and after), the peer fuzzed frames name, and <see cref="FuzzAccounts"/>.</summary>
    public const int Accounts = 2 + 2 + 1 + FuzzAccounts;

    /// <summary>
    /// Accounts the logged-in fuzz connections use, registered before the baseline: the state every
    /// registered user legitimately keeps is then the same before and after, so growth the heap
    /// figure shows is left behind by the fuzz connections themselves.
    /// </summary>
    private const int FuzzAccounts = 32;

    /// <summary>How long a fuzz connection waits for the node's next answer before it counts the node as quiet.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The node the bench starts lets idle user, group and key store actors passivate after 5 s
    /// (BenchNode.HoconFor): the heap is read once that has passed with room for the passivation
    /// check's own period, so the fuzz accounts' actors and the entities fuzzed frames started are
    /// gone, as they were at the baseline.
    /// </summary>
    private static readonly TimeSpan Passivation = TimeSpan.FromSeconds(12);

    public static async Task RunAsync(FeatureRun run)
    {
        var section = new FuzzSection();
        run.Report.Fuzz = section;
        var latency = run.Latency("fuzz.exchange_send_to_deliver");
        var users = new List<BenchUser>();
        if (!await ExchangeAsync(run, users, latency))
        {
            throw new BenchSetupException("the node did not serve a normal exchange before the fuzzing");
        }

        var registered = await run.RegisterAsync(1 + FuzzAccounts, "fuzz accounts");
        users.AddRange(registered);
        await run.CloseAllAsync(registered); // the fuzz connections log in as them
        var peer = registered[0].Phone;
        var accounts = registered.Skip(1).ToArray();

        var pid = run.Node.ProcessId;
        if (run.Options.WarmupFrames > 0)
        {
            // What the first fuzzing starts and a node keeps (a shard actor per shard of each region,
            // pooled buffers, caches) is a one-off cost; the baseline is read after it, once the
            // entities the warm-up started have passivated, so the verdict sees only growth.
            var warmup = await FuzzAsync(run, peer, accounts, run.Options.WarmupFrames, "warm-up: ", seed: 91_000);
            section.WarmupFrames = warmup.Sent;
            section.WarmupInternalErrors = warmup.InternalErrors;
            await WaitForPassivationAsync(run);
        }

        section.HeapBeforeBytes = await NodeMemory.HeapAfterFullGcAsync(run.Node.HeapFile, run.CancellationToken);
        section.RssBeforeBytes = pid is { } p1 ? ProcFile.RssBytes(p1) : null;

        var counts = await FuzzAsync(run, peer, accounts, run.Options.Frames, string.Empty, seed: 17_000);
        var internalErrors = counts.InternalErrors + section.WarmupInternalErrors;
        section.Frames = counts.Sent;
        section.Connections = counts.Connections;
        section.ClosedByNode = counts.Closed;
        section.Resets = counts.Resets;
        section.InternalErrors = counts.InternalErrors;
        section.Seconds = Math.Round(counts.Seconds, 3);
        section.FramesPerSecond = Math.Round(counts.Sent / counts.Seconds, 1);
        foreach (var kind in Enum.GetValues<FuzzKind>())
        {
            section.FramesByKind[kind.ToString()] = counts.ByKind[(int)kind];
        }

        if (pid is { } alive && ProcFile.RssBytes(alive) is null)
        {
            throw new BenchSetupException("the node exited under fuzzing");
        }

        section.ExchangeAfter = await ExchangeAsync(run, users, latency);
        if (!section.ExchangeAfter)
        {
            run.Metrics.Error("NO_EXCHANGE_AFTER_FUZZ");
        }

        await WaitForPassivationAsync(run);
        section.HeapAfterBytes = await NodeMemory.HeapAfterFullGcAsync(run.Node.HeapFile, run.CancellationToken);
        section.RssAfterBytes = pid is { } p2 ? ProcFile.RssBytes(p2) : null;
        if (section.HeapBeforeBytes is { } hb and > 0 && section.HeapAfterBytes is { } ha)
        {
            section.HeapGrowthPercent = Math.Round(100.0 * (ha - hb) / hb, 2);
            section.HeapWithinTenPercent = section.HeapGrowthPercent <= 10;
        }

        if (run.Node.Log?.Invoke() is { } log)
        {
            var unexpected = UnexpectedLines(log);
            section.UnexpectedLogLines = unexpected.Count;
            section.UnexpectedLogSample = unexpected.Take(20).ToList();
        }
        else
        {
            run.Report.Notes.Add("The node was not started by the bench: its log, heap and RSS are not known to it.");
        }

        if (internalErrors > 0)
        {
            run.Metrics.Error("INTERNAL_ANSWER_TO_FUZZ");
        }

        run.Complete(users);
        run.Report.Notes.Add("Heap figures are the node's managed heap after a full, compacting GC (akkachat.transport.diagnostic-heap-file); "
            + "the one after the run is read once the fuzz accounts' user actors have passivated (akkachat.users.passivate-after = 5s on the node the bench starts).");
    }

    private sealed record FuzzCounts(long Sent, long Connections, long Closed, long Resets, long InternalErrors, long[] ByKind, double Seconds);

    /// <summary>
    /// <paramref name="frames"/> fuzzed frames from --parallel connections, each replaced by a fresh
    /// one after its batch; every odd worker logs in as one of <paramref name="accounts"/> first.
    /// </summary>
    private static async Task<FuzzCounts> FuzzAsync(FeatureRun run, string peer, BenchUser[] accounts, long frames, string label, int seed)
    {
        var phase = run.Progress.Start($"{label}fuzz {frames:N0} frames from {run.Options.Parallel} connections", frames);
        long sent = 0, connections = 0, closed = 0, resets = 0, internalErrors = 0, nextAccount = 0;
        var byKind = new long[Enum.GetValues<FuzzKind>().Length];
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, run.Options.Parallel).Select(worker => Task.Run(async () =>
        {
            var fuzzer = new FrameFuzzer(seed + worker, peer);
            var random = new Random(17 * 7919 + seed + worker);
            var account = worker % 2 == 1 ? accounts[(int)(Interlocked.Increment(ref nextAccount) % accounts.Length)] : null;
            while (Interlocked.Read(ref sent) < frames && !run.CancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref connections);
                await using var wire = await WireConnection.OpenAsync(run.Endpoint, TimeSpan.FromSeconds(30), run.CancellationToken);
                if (account is not null)
                {
                    await wire.LoginAsync(account.Phone, account.Token.Memory, TimeSpan.FromSeconds(30), run.CancellationToken);
                }

                var batch = random.Next(1, 64);
                try
                {
                    for (var i = 0; i < batch; i++)
                    {
                        var bytes = fuzzer.Next(out var kind);
                        if (!await wire.WriteRawAsync(bytes))
                        {
                            throw new IOException("the node closed the connection");
                        }

                        Interlocked.Increment(ref sent);
                        Interlocked.Increment(ref byKind[(int)kind]);
                        if (FrameFuzzer.Desynchronises(kind))
                        {
                            break;
                        }
                    }

                    while (await wire.ReadFrameAsync(Quiet, run.CancellationToken) is { } frame)
                    {
                        if (frame.Message is Error { ErrorCode: ErrorCode.Internal })
                        {
                            Interlocked.Increment(ref internalErrors);
                        }
                    }

                    Interlocked.Increment(ref closed);
                }
                catch (TimeoutException)
                {
                    // the node waits for more bytes (a length past the payload) or for the next frame
                }
                catch (IOException)
                {
                    Interlocked.Increment(ref resets); // a reset, or the node closed while we wrote
                }
            }
        })).ToList();
        var all = Task.WhenAll(workers);
        while (await Task.WhenAny(all, Task.Delay(500, run.CancellationToken)) != all)
        {
            var now = Interlocked.Read(ref sent);
            phase.Update(now, $"{now:N0} frames, {now / Math.Max(clock.Elapsed.TotalSeconds, 0.001):N0}/s, {connections:N0} connections");
        }

        await all;
        var seconds = clock.Elapsed.TotalSeconds;
        phase.Complete($"{sent:N0} frames in {seconds:0.0} s ({sent / seconds:N0}/s), {connections:N0} connections");
        return new FuzzCounts(sent, connections, closed, resets, internalErrors, byKind, seconds);
    }

    /// <summary>
    /// Waits until the idle entities a fuzzing started have passivated (users, groups and key
    /// stores after 5 s on the node the bench starts), so the heap read next holds only what stays.
    /// </summary>
    private static async Task WaitForPassivationAsync(FeatureRun run)
    {
        if (run.Node.HeapFile is null)
        {
            return;
        }

        var waiting = run.Progress.Start("let the fuzzed entities and the fuzz accounts' user actors passivate", 1);
        await Task.Delay(Passivation, run.CancellationToken); // a configured timeout elapsing, not a race
        waiting.Complete($"{Passivation.TotalSeconds:0} s");
    }

    /// <summary>Log lines at error level, or naming an exception other than the protocol's own ProtocolException.</summary>
    public static List<string> UnexpectedLines(string log) => log.Split('\n')
        .Select(line => line.TrimEnd('\r'))
        .Where(line => ErrorLine().IsMatch(line) || (line.Contains("Exception", StringComparison.Ordinal) && !line.Contains("ProtocolException", StringComparison.Ordinal)))
        .ToList();

    /// <summary>Two fresh users: SEND, SEND_ACK, DELIVER (same server_msg_id), ACK. False when any step did not come.</summary>
    private static async Task<bool> ExchangeAsync(FeatureRun run, List<BenchUser> users, LatencyHistogram latency)
    {
        var pair = await run.RegisterAsync(2, "exchange users");
        users.AddRange(pair);
        var (a, b) = (pair[0], pair[1]);
        var ack = new TaskCompletionSource<SendAck>(TaskCreationOptions.RunContinuationsAsynchronously);
        var deliver = new TaskCompletionSource<Deliver>(TaskCreationOptions.RunContinuationsAsynchronously);
        a.Connection!.StartReceiving(new FeatureRole(run.Metrics, (_, message, _) =>
        {
            if (message is SendAck sendAck)
            {
                ack.TrySetResult(sendAck);
            }
        }));
        b.Connection!.StartReceiving(new FeatureRole(run.Metrics, (_, message, _) =>
        {
            if (message is Deliver d)
            {
                deliver.TrySetResult(d);
            }
        }));
        var at = Stopwatch.GetTimestamp();
        await a.Connection.WriteAsync(new Send { ClientMsgId = "x-1", To = b.Phone, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("after the fuzz") });
        try
        {
            var acked = await ack.Task.WaitAsync(run.Options.DrainTimeout, run.CancellationToken);
            var delivered = await deliver.Task.WaitAsync(run.Options.DrainTimeout, run.CancellationToken);
            latency.RecordBetween(at, Stopwatch.GetTimestamp());
            return acked.ServerMsgId == delivered.ServerMsgId; // BenchConnection ACKs the DELIVER itself
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^\d\d:\d\d:\d\d\.\d{3} error")]
    private static partial Regex ErrorLine();
}
