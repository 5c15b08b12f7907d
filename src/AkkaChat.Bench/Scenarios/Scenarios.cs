using AkkaChat.Bench.Load;
using AkkaChat.Bench.Reporting;

namespace AkkaChat.Bench.Scenarios;

/// <summary>
/// idle-connections: the node's memory per connected, logged-in user. RSS is read (settled) before
/// any user connects and again once all N are registered, logged in and idle. A node started by
/// the bench first runs a full compacting GC for each reading and reports its managed heap, so both
/// figures are after a full GC. --layer stops the connections at a lower layer (docs/performance.md).
/// </summary>
public static class IdleConnectionsScenario
{
    public static async Task RunAsync(BenchRun run)
    {
        var pid = run.Node.ProcessId;
        RssReading? before = null;
        long? heapBefore = null;
        if (pid is { } beforePid)
        {
            heapBefore = await NodeMemory.HeapAfterFullGcAsync(run.Node.HeapFile, run.CancellationToken);
            before = await NodeMemory.SettleAsync(beforePid, run.Options.SettleTimeout, run.Progress.Start("node memory, no users", 3), run.CancellationToken);
        }

        await run.SetupAsync(BenchRun.RegisterView);

        RssReading? after = null;
        long? heapAfter = null;
        if (pid is { } afterPid)
        {
            heapAfter = await NodeMemory.HeapAfterFullGcAsync(run.Node.HeapFile, run.CancellationToken);
            after = await NodeMemory.SettleAsync(afterPid, run.Options.SettleTimeout, run.Progress.Start("node memory, users connected", 3), run.CancellationToken);
        }

        var totals = run.Complete(await run.RunAsync(_ => null));
        // Nothing runs in the measured step (the connections only stay open): only the logins' CPU counts.
        if (run.Report.Cpu is { } cpu)
        {
            run.Report.Cpu = new CpuReport
            {
                WallSeconds = cpu.WallSeconds, NodeSeconds = cpu.NodeSeconds, LoadGeneratorSeconds = cpu.LoadGeneratorSeconds,
                LoadGeneratorProcesses = cpu.LoadGeneratorProcesses, NodeProcesses = cpu.NodeProcesses,
                LoginSeconds = cpu.LoginSeconds, NodeSecondsDuringLogins = cpu.NodeSecondsDuringLogins, Logins = cpu.Logins, NodeMicrosPerLogin = cpu.NodeMicrosPerLogin,
            };
        }
        var node = run.Report.Node;
        if (before is null || after is null)
        {
            run.Report.Notes.Add("The node's process id is unknown (--server without --node-pid): no memory figures.");
            return;
        }

        node.RssBeforeBytes = before.Bytes;
        node.RssAfterBytes = after.Bytes;
        node.RssSettled = before.Settled && after.Settled;
        if (totals.Connected > 0)
        {
            node.BytesPerConnection = (after.Bytes - before.Bytes) / totals.Connected;
        }

        node.HeapBeforeBytes = heapBefore;
        node.HeapAfterBytes = heapAfter;
        if (heapBefore is { } hb && heapAfter is { } ha && totals.Connected > 0)
        {
            node.HeapBytesPerConnection = (ha - hb) / totals.Connected;
        }

        if (node.RssSettled == false)
        {
            run.Report.Notes.Add("Node memory did not settle within the settle timeout; the per-connection figure is rough.");
        }
    }
}

/// <summary>
/// one-to-one: N/2 pairs of online users; each sender sends to its recipient for the duration (at
/// the offered rate, or flat out with a bounded window), each recipient acknowledges every DELIVER.
/// </summary>
public static class OneToOneScenario
{
    public static async Task RunAsync(BenchRun run)
    {
        await run.SetupAsync(BenchRun.RegisterView);
        if (run.Node.ProcessId is { } pid)
        {
            run.Report.Node.RssBeforeBytes = ProcFile.RssBytes(pid);
        }

        var seconds = run.Options.Duration.TotalSeconds;
        var warmup = run.Options.Warmup.TotalSeconds;
        var results = await run.RunAsync(s => s.Sum.Phase switch
        {
            WorkerPhase.Warmup => new PhaseView($"warm up for {warmup:0.#} s", warmup, Math.Min(s.PhaseElapsed.TotalSeconds, warmup),
                $"{s.Sum.Sent:N0} sent, {s.Sum.Delivered:N0} delivered, {s.DeliveredPerSecond:N0}/s (not measured)"),
            WorkerPhase.Run => new PhaseView($"send for {seconds:0.#} s", seconds, Math.Min(s.PhaseElapsed.TotalSeconds, seconds),
                $"{s.Sum.Sent:N0} sent, {s.Sum.Delivered:N0} delivered, {s.DeliveredPerSecond:N0}/s, {s.Sum.Errors:N0} errors"),
            WorkerPhase.Drain => new PhaseView("wait for messages in flight", Math.Max(1, s.Sum.Sent), s.Sum.Delivered,
                $"{s.Sum.Delivered:N0} of {s.Sum.Sent:N0} delivered"),
            _ => null,
        });

        if (run.Node.ProcessId is { } afterPid)
        {
            run.Report.Node.RssAfterBytes = ProcFile.RssBytes(afterPid);
        }

        var totals = run.Complete(results);
        var window = totals.WindowSeconds > 0 ? totals.WindowSeconds : seconds;
        run.Report.Messages = new MessagesReport
        {
            Sent = totals.Sent,
            SendAcked = totals.SendAcked,
            SendFailed = totals.SendFailed,
            Delivered = totals.Delivered,
            DeliveredInWindow = totals.DeliveredInWindow,
            WindowSeconds = window,
            SentPerSecond = Math.Round(totals.Sent / window, 1),
            DeliveredPerSecond = Math.Round(totals.DeliveredInWindow / window, 1),
            DeliverySeconds = Math.Round(totals.DeliverySeconds, 3),
            DeliveredPerSecondToLast = totals.DeliverySeconds > 0 ? Math.Round(totals.Delivered / totals.DeliverySeconds, 1) : 0,
        };
        var p50 = run.Report.LatencyMs.GetValueOrDefault(Measures.SendToDeliver)?.P50;
        run.Report.SaturationJudged = true;
        run.Report.Saturation.AddRange(SaturationRule.Judge(run.Options.Rate, run.Report.Messages.DeliveredInWindow, window, p50, run.Options.SaturationP50, run.Backlog));
        run.Report.Notes.Add(run.Options.Rate is null
            ? $"Flat out: each sender keeps up to {run.Options.MaxInFlight} SENDs waiting for their SEND_ACK; latency is measured from the moment a SEND is written."
            : "Offered rate: latencies are measured from each SEND's scheduled time, so time a sender spent held back counts (no coordinated omission).");
    }
}

/// <summary>
/// offline-drain: N/2 recipients go offline, their senders queue M messages for each; then every
/// recipient logs in (a bounded number at a time) and is timed from connecting until its whole
/// queue is delivered and acknowledged.
/// </summary>
public static class OfflineDrainScenario
{
    public static async Task RunAsync(BenchRun run)
    {
        await run.SetupAsync(s => s.Sum.Phase switch
        {
            WorkerPhase.Register => BenchRun.RegisterView(s),
            WorkerPhase.Queue => new PhaseView("queue messages for offline users", Math.Max(1, s.Sum.QueueTotal), s.Sum.SendAcked,
                $"{s.Sum.SendAcked:N0}/{s.Sum.QueueTotal:N0} stored, {s.Sum.Errors:N0} errors"),
            _ => null,
        });
        if (run.Node.ProcessId is { } pid)
        {
            run.Report.Node.RssBeforeBytes = ProcFile.RssBytes(pid);
        }

        var results = await run.RunAsync(s => s.Sum.Phase == WorkerPhase.Drain
            ? new PhaseView("log in and drain", Math.Max(1, s.Sum.DrainTotal), s.Sum.Drained,
                $"{s.Sum.Drained:N0}/{s.Sum.DrainTotal:N0} users, {s.Sum.Delivered:N0} messages, {s.DeliveredPerSecond:N0}/s")
            : null, measured: WorkerPhase.Drain);

        if (run.Node.ProcessId is { } afterPid)
        {
            run.Report.Node.RssAfterBytes = ProcFile.RssBytes(afterPid);
        }

        var totals = run.Complete(results);
        var perUser = run.Options.MessagesPerUser;
        var p50 = run.Report.LatencyMs.GetValueOrDefault(Measures.Drain)?.P50 ?? 0;
        run.Report.Drain = new DrainReport
        {
            Recipients = totals.DrainTotal,
            MessagesPerUser = perUser,
            Queued = totals.Queued,
            Delivered = totals.Delivered,
            DrainedUsers = totals.DrainedUsers,
            WallSeconds = Math.Round(totals.DrainWallSeconds, 3),
            MessagesPerSecond = totals.DrainWallSeconds > 0 ? Math.Round(totals.Delivered / totals.DrainWallSeconds, 1) : 0,
            PerUserMessagesPerSecondP50 = p50 > 0 ? Math.Round(perUser / (p50 / 1000), 1) : 0,
        };
        run.Report.Notes.Add($"Drain time runs from opening the recipient's connection to writing the ACK that covers its last message; up to {run.Options.Concurrency} recipients log in at once.");
    }
}
