using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using AkkaChat.Bench.Load;
using AkkaChat.Bench.Reporting;
using AkkaChat.Bench.Scenarios;
using AkkaChat.Bench.Wire;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Bench.Features;

/// <summary>
/// soak: --users registered users exchange 1:1 messages at --rate for --duration. Each send goes
/// from a random online user to a random other user, online or not (an offline recipient drains
/// its queue at its next login). Recipients ACK every DELIVER (BenchConnection does) and send READ
/// for a third of them, which their senders get as READ receipts. Every second a few users
/// disconnect and log in again a few seconds later (reconnects, offline drains). Every
/// --sample-interval the node's RSS, managed heap, journal rows, the open connections and the
/// interval's send -> DELIVER p99 are sampled. At the end every user logs in again and the run waits
/// (--drain-timeout) until every SEND_ACKed message was delivered; after client dedup (by
/// server_msg_id) each must have arrived exactly once: the lost and duplicate counts say otherwise.
/// </summary>
public static class SoakScenario
{
    /// <summary>Share of DELIVERs the recipient answers with READ.</summary>
    private const double ReadShare = 1.0 / 3;

    /// <summary>Share of the online users that disconnect each second, each for 1 to 5 s.</summary>
    private const double ReconnectShare = 0.03;

    public static async Task RunAsync(FeatureRun run)
    {
        var options = run.Options;
        var state = new SoakState(run);
        var users = await run.RegisterAsync(options.EffectiveUsers, "soak users");
        state.Users = users.Select(u => new SoakUser(u)).ToArray();
        foreach (var user in state.Users)
        {
            user.Connection = user.User.Connection!;
            user.Connection.StartReceiving(state.RoleOf(user));
            user.Online = true;
        }

        var section = new SoakSection { SampleIntervalSeconds = options.SampleInterval.TotalSeconds };
        run.Report.Soak = section;
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(run.CancellationToken);
        var sampling = SampleAsync(run, state, section, started, stop.Token);
        var reconnecting = ReconnectAsync(run, state, end);

        var phase = run.Progress.Start($"soak {options.Duration.TotalSeconds:N0} s at {options.Rate:N0} messages/s, {users.Length:N0} users", options.Duration.TotalSeconds);
        var random = new Random(17);
        var interval = 1.0 / options.Rate!.Value;
        var next = (double)started;
        long index = 0;
        long iterations = 0;
        (long Middle, long End)? backlog = null;
        var middle = started + (end - started) / 2;
        while (Stopwatch.GetTimestamp() < end)
        {
            iterations++;
            if (backlog is null && Stopwatch.GetTimestamp() >= middle)
            {
                backlog = (state.OnlineBacklog, 0);
            }

            // Paced by the clock, not by answers: a slow node sees the same offered rate.
            next += interval * Stopwatch.Frequency;
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), (long)next);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait, run.CancellationToken);
            }

            await state.FlushReadsAsync();
            var sender = state.Users[random.Next(state.Users.Length)];
            var recipient = state.Users[random.Next(state.Users.Length)];
            if (recipient == sender || !sender.Online)
            {
                continue;
            }

            await state.SendAsync(sender, recipient, index++, options.BodyBytes);
            if (index % 100 == 0)
            {
                phase.Update(Stopwatch.GetElapsedTime(started).TotalSeconds, $"{state.Acked.Count:N0} acked, {state.DeliveredCount:N0} delivered, {state.OnlineCount:N0} online");
            }
        }

        // The send window ends here: what the saturation rule judges (see SaturationRule.JudgeSoak).
        var windowSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var onlineSends = Interlocked.Read(ref state.OnlineSends);
        var onlineDeliveredInWindow = Interlocked.Read(ref state.OnlineDelivered);
        backlog = backlog is { } b ? (b.Middle, state.OnlineBacklog) : null;
        phase.Complete($"{index:N0} sent, {state.Acked.Count:N0} acked");
        await reconnecting;

        // The final drain: everyone online again, every acknowledged message delivered.
        var drain = run.Progress.Start("log every user in again and drain", 1);
        foreach (var user in state.Users.Where(u => !u.Online))
        {
            await state.LoginAsync(user);
        }

        await state.FlushReadsAsync();
        await run.WaitUntilAsync(() => state.Acked.Keys.All(state.Delivered.ContainsKey), "UNDELIVERED_AT_END");
        drain.Complete($"{state.Acked.Keys.Count(state.Delivered.ContainsKey):N0} of {state.Acked.Count:N0} acknowledged delivered");
        await stop.CancelAsync();
        try
        {
            await sampling;
        }
        catch (OperationCanceledException) when (!run.CancellationToken.IsCancellationRequested)
        {
            // the sampling loop ends with the run
        }

        section.Sent = index;
        section.SendAcked = state.Acked.Count;
        section.SendFailed = index - state.Acked.Count;
        section.DeliveredDistinct = state.Acked.Keys.Count(state.Delivered.ContainsKey);
        section.Lost = state.Acked.Count - section.DeliveredDistinct;
        section.Duplicates = state.DuplicatesAfterDedup();
        section.Redelivered = Interlocked.Read(ref state.Redelivered);
        section.Reads = Interlocked.Read(ref state.Reads);
        section.ReadReceipts = Interlocked.Read(ref state.ReadReceipts);
        section.Reconnects = Interlocked.Read(ref state.Reconnects);
        section.OfflineDelivered = Interlocked.Read(ref state.OfflineDelivered);
        if (section.Lost > 0)
        {
            run.Metrics.Error("LOST");
        }

        if (section.Duplicates > 0)
        {
            run.Metrics.Error("DUPLICATE");
        }

        var plotName = $"soak-{run.Report.StartedAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture)}.svg";
        Directory.CreateDirectory(options.Out);
        await File.WriteAllTextAsync(Path.Combine(options.Out, plotName), SoakPlot.Svg(section.Samples, $"soak at {options.Rate:N0} messages/s, {users.Length:N0} users"));
        section.Plot = plotName;

        run.Complete(users);
        run.Report.SaturationJudged = true;
        run.Report.Saturation.AddRange(SaturationRule.JudgeSoak(options.Rate.Value, iterations, onlineSends, onlineDeliveredInWindow, windowSeconds,
            run.Report.LatencyMs.GetValueOrDefault("soak.send_to_deliver")?.P50, options.SaturationP50, backlog));
        run.Report.Notes.Add($"Saturation is judged on the messages sent to online recipients ({onlineSends:N0} of {index:N0}): "
            + "offered = --rate x their share of the sender loop's iterations, delivered = their DELIVERs within the send window, "
            + "p50 = soak.send_to_deliver, backlog = those sent and not yet delivered at the window's middle and end.");
        run.Report.Notes.Add("A SEND whose sender disconnected before its SEND_ACK arrived counts as failed (never acknowledged, so not owed). "
            + "Each sample's heap is the node's managed heap after a full, compacting GC (akkachat.transport.diagnostic-heap-file), "
            + "so each sample costs the node one full GC, which can show in the interval's p99.");
    }

    private static async Task ReconnectAsync(FeatureRun run, SoakState state, long end)
    {
        var random = new Random(23);
        var back = new List<(SoakUser User, long At)>();
        while (Stopwatch.GetTimestamp() < end)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), run.CancellationToken); // the reconnect schedule's tick
            var now = Stopwatch.GetTimestamp();
            foreach (var (user, _) in back.Where(b => b.At <= now).ToList())
            {
                back.RemoveAll(b => b.User == user);
                await state.LoginAsync(user);
            }

            var online = state.Users.Where(u => u.Online).ToList();
            var leaving = Math.Max(1, (int)(online.Count * ReconnectShare));
            foreach (var user in online.OrderBy(_ => random.Next()).Take(leaving))
            {
                await state.DisconnectAsync(user);
                back.Add((user, now + (long)((1 + random.NextDouble() * 4) * Stopwatch.Frequency)));
            }
        }
    }

    private static async Task SampleAsync(FeatureRun run, SoakState state, SoakSection section, long started, CancellationToken cancellationToken)
    {
        var pid = run.Node.ProcessId;
        var journal = run.Node.JournalFile;
        while (true)
        {
            await Task.Delay(run.Options.SampleInterval, cancellationToken); // the sampling interval
            var (latency, acked, delivered) = state.TakeInterval();
            var p99 = latency.Count > 0 ? latency.Summarize().P99 : (double?)null;
            section.Samples.Add(new SoakSample
            {
                AtSeconds = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1),
                RssBytes = pid is { } p ? ProcFile.RssBytes(p) : null,
                HeapBytes = await NodeMemory.HeapAfterFullGcAsync(run.Node.HeapFile, cancellationToken),
                JournalRows = journal is null ? null : JournalRows.Count(journal),
                OpenConnections = state.OnlineCount,
                SendAckedInInterval = acked,
                DeliveredInInterval = delivered,
                P99Ms = p99,
            });
        }
    }

    /// <summary>One user of the soak and its current connection.</summary>
    private sealed class SoakUser(BenchUser user)
    {
        public BenchUser User { get; } = user;

        public BenchConnection Connection { get; set; } = null!;

        public volatile bool Online;
    }

    /// <summary>A message sent: its recipient, whether the recipient was offline when it was sent, its send time.</summary>
    private sealed record Sent(SoakUser From, SoakUser To, long At)
    {
        public string? ServerMsgId;

        public bool RecipientOffline;
    }

    private sealed class SoakState(FeatureRun run)
    {
        private readonly ConcurrentDictionary<long, Sent> _sent = new();
        private readonly ConcurrentQueue<(SoakUser Reader, string From, string ServerMsgId)> _reads = new();
        private readonly ConcurrentDictionary<long, ConcurrentBag<string>> _deliveredByIndex = new();
        private readonly Random _readChoice = new(29);
        private LatencyHistogram _interval = new();
        private long _ackedInInterval;
        private long _deliveredInInterval;

        public long Redelivered;
        public long Reads;
        public long ReadReceipts;
        public long Reconnects;
        public long OfflineDelivered;

        /// <summary>SENDs written while their recipient was online (the ones the saturation rule judges).</summary>
        public long OnlineSends;

        /// <summary>First DELIVERs of those SENDs.</summary>
        public long OnlineDelivered;

        /// <summary>SENDs to online recipients written and not yet delivered.</summary>
        public long OnlineBacklog => Interlocked.Read(ref OnlineSends) - Interlocked.Read(ref OnlineDelivered);

        public SoakUser[] Users { get; set; } = [];

        /// <summary>Acknowledged messages: server_msg_id -> the send's index.</summary>
        public ConcurrentDictionary<string, long> Acked { get; } = new(StringComparer.Ordinal);

        /// <summary>Delivered messages after client dedup: server_msg_id -> DELIVERs seen of it.</summary>
        public ConcurrentDictionary<string, int> Delivered { get; } = new(StringComparer.Ordinal);

        public int DeliveredCount => Delivered.Count;

        public int OnlineCount => Users.Count(u => u.Online);

        /// <summary>send -> DELIVER of messages sent while the recipient was online (the interval p99 is of these).</summary>
        private LatencyHistogram Total { get; } = run.Latency("soak.send_to_deliver");

        private LatencyHistogram ToAck { get; } = run.Latency("soak.send_to_send_ack");

        /// <summary>send -> DELIVER of messages sent while the recipient was offline (includes the time until its next login).</summary>
        private LatencyHistogram Offline { get; } = run.Latency("soak.offline_send_to_login_deliver");

        public IFrameHandler RoleOf(SoakUser user) => new FeatureRole(run.Metrics, (_, message, at) => OnMessage(user, message, at));

        public async Task SendAsync(SoakUser sender, SoakUser recipient, long index, int bodyBytes)
        {
            var at = Stopwatch.GetTimestamp();
            var sent = new Sent(sender, recipient, at) { RecipientOffline = !recipient.Online };
            _sent[index] = sent;
            var body = new byte[Math.Max(16, bodyBytes)];
            BinaryPrimitives.WriteInt64LittleEndian(body, at);
            BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(8), index);
            try
            {
                await sender.Connection.WriteAsync(new Send { ClientMsgId = $"s{index}", To = recipient.User.Phone, Kind = (uint)MessageKind.Text, Body = UnsafeByteOperations.UnsafeWrap(body) });
                if (!sent.RecipientOffline)
                {
                    Interlocked.Increment(ref OnlineSends);
                }
            }
            catch (IOException)
            {
                // the sender was disconnecting: never acknowledged, so not owed
            }
        }

        public async Task DisconnectAsync(SoakUser user)
        {
            user.Online = false;
            await user.Connection.CloseAsync();
        }

        public async Task LoginAsync(SoakUser user)
        {
            try
            {
                await run.LoginAsync(user.User, RoleOf(user));
                user.Connection = user.User.Connection!;
                user.Online = true;
                Interlocked.Increment(ref Reconnects);
            }
            catch (Exception e) when (e is IOException or TimeoutException or BenchProtocolException)
            {
                run.Metrics.Error("LOGIN_FAILED"); // left offline; the final drain tries again
            }
        }

        /// <summary>Writes the READs the receive loops asked for (receive loops only queue them).</summary>
        public async Task FlushReadsAsync()
        {
            while (_reads.TryDequeue(out var read))
            {
                if (!read.Reader.Online)
                {
                    continue;
                }

                try
                {
                    await read.Reader.Connection.WriteAsync(new Read { From = read.From, ServerMsgIds = { read.ServerMsgId } });
                    Interlocked.Increment(ref Reads);
                }
                catch (IOException)
                {
                    // the reader disconnected meanwhile
                }
            }
        }

        public (LatencyHistogram Latency, long Acked, long Delivered) TakeInterval() =>
            (Interlocked.Exchange(ref _interval, new LatencyHistogram()), Interlocked.Exchange(ref _ackedInInterval, 0), Interlocked.Exchange(ref _deliveredInInterval, 0));

        /// <summary>Sends delivered as more than one distinct server_msg_id: the same SEND stored twice.</summary>
        public long DuplicatesAfterDedup() => _deliveredByIndex.Values.Count(ids => ids.Distinct(StringComparer.Ordinal).Count() > 1);

        private void OnMessage(SoakUser user, IMessage message, long at)
        {
            switch (message)
            {
                case SendAck ack when ack.ClientMsgId.Length > 1 && long.TryParse(ack.ClientMsgId.AsSpan(1), out var index) && _sent.TryGetValue(index, out var sent):
                    sent.ServerMsgId = ack.ServerMsgId;
                    Acked[ack.ServerMsgId] = index;
                    ToAck.RecordBetween(sent.At, at);
                    Interlocked.Increment(ref _ackedInInterval);
                    break;
                case Deliver deliver when deliver.Body.Length >= 16:
                    var sentAt = BinaryPrimitives.ReadInt64LittleEndian(deliver.Body.Span);
                    var sendIndex = BinaryPrimitives.ReadInt64LittleEndian(deliver.Body.Span[8..]);
                    var seen = Delivered.AddOrUpdate(deliver.ServerMsgId, 1, (_, n) => n + 1);
                    if (seen > 1)
                    {
                        Interlocked.Increment(ref Redelivered); // client dedup drops it
                        break;
                    }

                    _deliveredByIndex.GetOrAdd(sendIndex, _ => []).Add(deliver.ServerMsgId);
                    Interlocked.Increment(ref _deliveredInInterval);
                    if (_sent.TryGetValue(sendIndex, out var original) && original.RecipientOffline)
                    {
                        // waited in the recipient's queue until its next login: not a latency of the node
                        Interlocked.Increment(ref OfflineDelivered);
                        Offline.RecordBetween(sentAt, at);
                    }
                    else
                    {
                        Interlocked.Increment(ref OnlineDelivered);
                        Total.RecordBetween(sentAt, at);
                        Volatile.Read(ref _interval).RecordBetween(sentAt, at);
                    }

                    bool read;
                    lock (_readChoice)
                    {
                        read = _readChoice.NextDouble() < ReadShare;
                    }

                    if (read)
                    {
                        _reads.Enqueue((user, deliver.From, deliver.ServerMsgId));
                    }

                    break;
                case Receipt { Status: (uint)ReceiptStatus.Read }:
                    Interlocked.Increment(ref ReadReceipts);
                    break;
            }
        }
    }
}
