using System.Globalization;
using System.Text;
using System.Text.Json;
using AkkaChat.Bench.Load;
using Spectre.Console;

namespace AkkaChat.Bench.Reporting;

/// <summary>The final table on the console, and the JSON and markdown files of a run.</summary>
public static class ReportOutput
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Writes <c>&lt;scenario&gt;-&lt;utc timestamp&gt;.json</c> and <c>.md</c> into <paramref name="directory"/>; returns both paths.</summary>
    public static async Task<(string Json, string Markdown)> WriteFilesAsync(BenchReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        var name = $"{report.Scenario}-{report.StartedAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", Invariant)}";
        var json = Path.Combine(directory, name + ".json");
        var markdown = Path.Combine(directory, name + ".md");
        await File.WriteAllTextAsync(json, JsonSerializer.Serialize(report, BenchJson.File) + "\n");
        await File.WriteAllTextAsync(markdown, Markdown(report));
        return (json, markdown);
    }

    /// <summary>The figures of the run, one row each: (figure, value).</summary>
    public static IEnumerable<(string Figure, string Value)> Figures(BenchReport report)
    {
        yield return ("users connected", $"{report.Users.Connected:N0} of {report.Users.Requested:N0} ({report.Users.Registered:N0} registered)");
        if (report.Messages is { } m)
        {
            yield return ("throughput while sending (delivered/s)", m.DeliveredPerSecond.ToString("N0", Invariant));
            yield return ("throughput to the last delivery (delivered/s)", $"{m.DeliveredPerSecondToLast.ToString("N0", Invariant)} over {m.DeliverySeconds:0.0} s");
            yield return ("offered (sent/s)", m.SentPerSecond.ToString("N0", Invariant));
            yield return ("sent / acked / delivered", $"{m.Sent:N0} / {m.SendAcked:N0} / {m.Delivered:N0}");
            yield return ("sending window", $"{m.WindowSeconds:0.#} s");
        }

        if (report.Drain is { } d)
        {
            yield return ("queued for offline users", $"{d.Queued:N0} ({d.MessagesPerUser:N0} x {d.Recipients:N0} recipients)");
            yield return ("drained users", $"{d.DrainedUsers:N0} of {d.Recipients:N0}");
            yield return ("drain rate (messages/s, all logins)", d.MessagesPerSecond.ToString("N0", Invariant));
            yield return ("drain rate per user at p50 (messages/s)", d.PerUserMessagesPerSecondP50.ToString("N0", Invariant));
            yield return ("drain wall time", $"{d.WallSeconds:0.###} s");
        }

        if (report.Node.RssBeforeBytes is { } before)
        {
            yield return ("node RSS before", Mib(before));
        }

        if (report.Node.RssAfterBytes is { } after)
        {
            yield return ("node RSS after", Mib(after) + (report.Node.RssSettled == false ? " (not settled)" : string.Empty));
        }

        if (report.Node.BytesPerConnection is { } perConnection)
        {
            yield return ("node bytes per connection", $"{perConnection:N0} ({perConnection / 1024.0:0.0} KiB)");
        }

        if (report.Node.HeapBeforeBytes is { } heapBefore && report.Node.HeapAfterBytes is { } heapAfter)
        {
            yield return ("node managed heap before / after (full GC)", $"{Mib(heapBefore)} / {Mib(heapAfter)}");
        }

        if (report.Node.HeapBytesPerConnection is { } heapPerConnection)
        {
            yield return ("node managed heap bytes per connection", $"{heapPerConnection:N0} ({heapPerConnection / 1024.0:0.0} KiB)");
        }

        if (report.Cpu is { } cpu)
        {
            yield return ("CPU during the run (node / load generator)",
                $"{(cpu.NodeSeconds is { } node ? $"{node:0.0} s" : "?")} / {cpu.LoadGeneratorSeconds:0.0} s in {cpu.WallSeconds:0.0} s");
            if (cpu.NodeMicrosPerDeliveredMessage is { } perMessage)
            {
                yield return ("node CPU per delivered message", $"{perMessage:N1} us ({cpu.DeliveredInWindow:N0} in the {cpu.MeasuredPhase} window of {cpu.MeasuredWindowSeconds:0.0} s)");
            }

            if (cpu.NodeMicrosPerLogin is { } perLogin)
            {
                yield return ("node CPU per login (register + verify)", $"{perLogin:N1} us ({cpu.Logins:N0} logins)");
            }

            if (cpu.LoadGeneratorCores is { } cores)
            {
                yield return ("cores busy in the window (node / load generator)", $"{(cpu.NodeCores is { } n ? n.ToString("0.00", Invariant) : "?")} / {cores:0.00} of {Environment.ProcessorCount}");
            }
        }

        if (report.Ladder is { } ladder)
        {
            foreach (var step in ladder)
            {
                yield return ($"ladder {step.OfferedPerSecond:N0}/s: p50 / p99 / delivered",
                    $"{Ms(step.P50Ms)} ms / {Ms(step.P99Ms)} ms / {step.DeliveredPerSecond:N0}/s"
                    + (step.Cpu?.NodeMicrosPerDeliveredMessage is { } us ? $", {us:N0} us node CPU/msg" : string.Empty)
                    + (step.Saturated ? " SATURATED" : string.Empty));
            }

            yield return ("highest rate with p99 <= 10 ms", report.HighestRateWithinP99Target is { } best ? $"{best:N0}/s" : "none");
        }

        foreach (var step in report.FeatureSteps ?? [])
        {
            yield return ($"{step.Name}: delivered, per second",
                $"{step.Delivered:N0} delivered ({step.Sent:N0} sent), {step.DeliveredPerSecond:N0}/s over {step.Seconds:0.00} s");
            yield return ($"{step.Name}: node CPU per delivered",
                step.NodeMicrosPerDelivered is { } us ? $"{us:N1} us ({step.NodeCpuSeconds:0.00} s node, {step.LoadGeneratorCpuSeconds:0.00} s load generator)" : "unknown (node pid not known)");
            yield return ($"{step.Name}: {step.LatencyMeasure} p50 / p99 / max", $"{Ms(step.P50Ms)} ms / {Ms(step.P99Ms)} ms / {Ms(step.MaxMs)} ms");
            foreach (var (figure, value) in step.Extra ?? [])
            {
                yield return ($"{step.Name}: {figure.Replace('_', ' ')}", value < 0 ? "unknown" : value.ToString("N2", CultureInfo.InvariantCulture));
            }
        }

        if (report.Fuzz is { } f)
        {
            yield return ("warm-up frames before the baseline", f.WarmupFrames.ToString("N0", Invariant));
            yield return ("fuzzed frames, per second", $"{f.Frames:N0} in {f.Seconds:0.0} s, {f.FramesPerSecond:N0}/s over {f.Connections:N0} connections");
            yield return ("fuzzed frames by kind", string.Join(", ", f.FramesByKind.Select(k => $"{k.Key} {k.Value:N0}")));
            yield return ("connections closed by the node / reset", $"{f.ClosedByNode:N0} / {f.Resets:N0}");
            yield return ("ERROR{INTERNAL} answers", f.InternalErrors.ToString("N0", Invariant));
            yield return ("normal exchange after the fuzzing", f.ExchangeAfter ? "served" : "FAILED");
            yield return ("heap after a full GC, before / after", f.HeapBeforeBytes is { } hb && f.HeapAfterBytes is { } ha
                ? $"{Mib(hb)} / {Mib(ha)} ({f.HeapGrowthPercent:+0.0;-0.0;0.0} %, {(f.HeapWithinTenPercent == true ? "within" : "NOT within")} 10 %)" : "unknown (node not started by the bench)");
            yield return ("RSS before / after", f.RssBeforeBytes is { } rb && f.RssAfterBytes is { } ra ? $"{Mib(rb)} / {Mib(ra)}" : "unknown");
            yield return ("node log lines: errors, exceptions other than ProtocolException", f.UnexpectedLogLines is { } lines ? lines.ToString("N0", Invariant) : "unknown");
        }

        if (report.Soak is { } soak)
        {
            yield return ("SEND_ACKed / sent (failed)", $"{soak.SendAcked:N0} / {soak.Sent:N0} ({soak.SendFailed:N0})");
            yield return ("lost (acknowledged, never delivered)", soak.Lost.ToString("N0", Invariant));
            yield return ("duplicates after client dedup", soak.Duplicates.ToString("N0", Invariant));
            yield return ("redeliveries removed by client dedup", soak.Redelivered.ToString("N0", Invariant));
            yield return ("READs sent / READ receipts", $"{soak.Reads:N0} / {soak.ReadReceipts:N0}");
            yield return ("reconnects / delivered on a later login (offline drain)", $"{soak.Reconnects:N0} / {soak.OfflineDelivered:N0}");
            if (soak.Samples.Count > 0)
            {
                var first = soak.Samples[0];
                var last = soak.Samples[^1];
                yield return ("RSS first / last / max sample", first.RssBytes is { } r0 && last.RssBytes is { } r1
                    ? $"{Mib(r0)} / {Mib(r1)} / {Mib(soak.Samples.Max(x => x.RssBytes ?? 0))}" : "unknown");
                yield return ("heap first / last sample", first.HeapBytes is { } h0 && last.HeapBytes is { } h1 ? $"{Mib(h0)} / {Mib(h1)}" : "unknown");
                yield return ("journal rows first / last sample", $"{first.JournalRows?.ToString("N0", Invariant) ?? "unknown"} / {last.JournalRows?.ToString("N0", Invariant) ?? "unknown"}");
                var p99s = soak.Samples.Where(x => x.P99Ms is not null).Select(x => x.P99Ms!.Value).ToList();
                yield return ("interval p99, lowest / highest", p99s.Count > 0 ? $"{Ms(p99s.Min())} ms / {Ms(p99s.Max())} ms" : "none");
            }
        }

        yield return ("saturated", report.Saturated ? "SATURATED: " + string.Join("; ", report.Saturation)
            : report.SaturationJudged ? "no" : "not judged (no offered rate)");

        yield return ("errors", report.Errors.Total == 0
            ? "0"
            : $"{report.Errors.Total:N0}: " + string.Join(", ", report.Errors.ByCode.Select(e => $"{e.Key} {e.Value:N0}")));
    }

    public static void WriteTable(BenchReport report)
    {
        var figures = new Table().Title($"{report.Scenario}, {report.Users.Requested:N0} users, commit {report.Commit}")
            .AddColumn("figure").AddColumn(new TableColumn("value").RightAligned());
        foreach (var (figure, value) in Figures(report))
        {
            figures.AddRow(Markup.Escape(figure), Markup.Escape(value));
        }

        AnsiConsole.Write(figures);
        if (report.Saturated)
        {
            Console.Out.WriteLine("SATURATED: " + string.Join("; ", report.Saturation));
        }

        if (report.LatencyMs.Count == 0)
        {
            return;
        }

        var latency = new Table().Title("latency (ms)").AddColumn("measure");
        foreach (var column in new[] { "count", "p50", "p90", "p99", "p99.9", "max" })
        {
            latency.AddColumn(new TableColumn(column).RightAligned());
        }

        foreach (var (measure, s) in report.LatencyMs)
        {
            latency.AddRow(measure, s.Count.ToString("N0", Invariant), Ms(s.P50), Ms(s.P90), Ms(s.P99), Ms(s.P999), Ms(s.Max));
        }

        AnsiConsole.Write(latency);
    }

    public static string Markdown(BenchReport report)
    {
        var md = new StringBuilder();
        md.AppendLine(Invariant, $"# akkachat-bench {report.Scenario}");
        md.AppendLine();
        md.AppendLine(Invariant, $"Run {report.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC to {report.FinishedAt.UtcDateTime:HH:mm:ss} UTC, "
            + $"commit `{report.Commit}`{(report.CommitDirty ? " (with uncommitted changes)" : string.Empty)}.");
        md.AppendLine();
        md.AppendLine(Invariant, $"Machine: `{report.Machine.Name}`, {report.Machine.ProcessorCount} processors, "
            + $"{(report.Machine.TotalMemoryBytes is { } total ? $"{total / (1024.0 * 1024 * 1024):0.0} GiB" : "unknown")} memory, "
            + $"{report.Machine.Os}, {report.Machine.Runtime}; 1-minute load average {Load(report.Machine.LoadAverageAtStart)} at the start, "
            + $"{Load(report.Machine.LoadAverageAtEnd)} at the end.");
        md.AppendLine();
        md.AppendLine(Invariant, $"Node: {report.Node.Endpoint}{(report.Node.StartedByBench ? ", started by the bench" : string.Empty)}"
            + $"{(report.Node.Pid is { } pid ? $", pid {pid}" : string.Empty)}"
            + $"{(report.Node.Assembly is { } assembly ? $", `{Path.GetRelativePath(Directory.GetCurrentDirectory(), assembly)}`" : string.Empty)}.");
        md.AppendLine();

        if (report.Saturated)
        {
            md.AppendLine("**SATURATED: " + string.Join("; ", report.Saturation) + "**");
            md.AppendLine();
        }

        md.AppendLine("## Options");
        md.AppendLine();
        md.AppendLine("| option | value |");
        md.AppendLine("|---|---|");
        var o = report.Options;
        Row(md, "users (N)", o.Users.ToString("N0", Invariant));
        Row(md, "workers", $"{o.Workers} ({o.WorkerProcesses} load process{(o.WorkerProcesses == 1 ? string.Empty : "es")})");
        Row(md, "concurrency", o.Concurrency.ToString(Invariant));
        if (o.DurationSeconds is { } duration)
        {
            Row(md, "duration", $"{duration:0.###} s");
            if (o.WarmupSeconds is > 0)
            {
                Row(md, "warm-up (not measured)", $"{o.WarmupSeconds:0.###} s");
            }

            Row(md, "rate", o.RatePerSecond is { } rate ? $"{rate:N0} messages/s offered" : "flat out");
        }

        if (o.BodyBytes is { } body)
        {
            Row(md, "body bytes", body.ToString(Invariant));
        }

        if (o.MaxInFlight is { } inFlight)
        {
            Row(md, "max in flight per sender", inFlight.ToString(Invariant));
        }

        if (o.SettleTimeoutSeconds is { } settle)
        {
            Row(md, "settle timeout", $"{settle:0.###} s");
        }

        if (o.MessagesPerUser is { } perUser)
        {
            Row(md, "messages per user (M)", perUser.ToString("N0", Invariant));
        }

        md.AppendLine();
        md.AppendLine("## Figures");
        md.AppendLine();
        md.AppendLine("| figure | value |");
        md.AppendLine("|---|---:|");
        foreach (var (figure, value) in Figures(report))
        {
            Row(md, figure, value);
        }

        if (report.LatencyMs.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Latency (ms)");
            md.AppendLine();
            md.AppendLine("| measure | count | mean | p50 | p90 | p99 | p99.9 | max |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var (measure, s) in report.LatencyMs)
            {
                md.AppendLine(Invariant, $"| {measure} | {s.Count:N0} | {Ms(s.Mean)} | {Ms(s.P50)} | {Ms(s.P90)} | {Ms(s.P99)} | {Ms(s.P999)} | {Ms(s.Max)} |");
            }
        }

        if (report.Soak is { Samples.Count: > 0 } soakRun)
        {
            md.AppendLine();
            md.AppendLine(Invariant, $"## Samples (every {soakRun.SampleIntervalSeconds:0.###} s)");
            md.AppendLine();
            if (soakRun.Plot is { } plot)
            {
                md.AppendLine(Invariant, $"![memory and p99 over time]({plot})");
                md.AppendLine();
            }

            md.AppendLine("| at (s) | RSS | heap | journal rows | connections | acked | delivered | p99 (ms) |");
            md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var x in soakRun.Samples)
            {
                md.AppendLine(Invariant, $"| {x.AtSeconds:0.0} | {(x.RssBytes is { } r ? Mib(r) : "-")} | {(x.HeapBytes is { } h ? Mib(h) : "-")} | "
                    + $"{x.JournalRows?.ToString("N0", Invariant) ?? "-"} | {x.OpenConnections:N0} | {x.SendAckedInInterval:N0} | {x.DeliveredInInterval:N0} | {(x.P99Ms is { } p ? Ms(p) : "-")} |");
            }
        }

        if (report.Fuzz is { UnexpectedLogSample.Count: > 0 } fuzzRun)
        {
            md.AppendLine();
            md.AppendLine("## Unexpected node log lines (first 20)");
            md.AppendLine();
            md.AppendLine("```");
            foreach (var line in fuzzRun.UnexpectedLogSample)
            {
                md.AppendLine(line);
            }

            md.AppendLine("```");
        }

        if (report.Notes.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Notes");
            md.AppendLine();
            foreach (var note in report.Notes)
            {
                md.AppendLine(Invariant, $"- {note}");
            }
        }

        if (report.Node.Config is { } config)
        {
            md.AppendLine();
            md.AppendLine("## Node settings (over the defaults)");
            md.AppendLine();
            md.AppendLine("```hocon");
            md.AppendLine(config.TrimEnd());
            md.AppendLine("```");
        }

        return md.ToString();
    }

    private static string Load(double? load) => load is { } value ? value.ToString("0.00", Invariant) : "unknown";

    private static void Row(StringBuilder md, string name, string value) => md.AppendLine(Invariant, $"| {name} | {value} |");

    private static string Ms(double ms) => ms.ToString(ms < 10 ? "0.000" : "0.0", Invariant);

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024):0.0} MiB";
}
