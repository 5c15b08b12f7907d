using System.Text.Json;
using AkkaChat.Bench.Features;
using AkkaChat.Bench.Scenarios;
using AkkaChat.Protocol.Fuzzing;

namespace AkkaChat.Bench.Tests;

/// <summary>
/// Tiny runs of fuzz and soak against a node the bench starts: the fuzz run sends every kind of
/// fuzzed frame and checks the node afterwards; the soak run mixes traffic, samples the node and
/// finds every acknowledged message delivered exactly once. The long runs are in docs/reliability.md.
/// </summary>
[Trait("Category", "Slow")]
public sealed class FuzzSoakScenarioTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task fuzz_sends_every_kind_of_frame_then_the_node_serves_an_exchange_and_logs_nothing_unexpected()
    {
        var result = await BenchProcess.RunAsync(Deadline, [ScenarioNames.Fuzz, "--start-node", "--frames", "3000", "--warmup-frames", "500", "--parallel", "8"]);

        Assert.True(result.ExitCode == 0, result.Output);
        var fuzz = result.Json.GetProperty("fuzz");
        Assert.True(fuzz.GetProperty("frames").GetInt64() >= 3000, fuzz.ToString());
        Assert.True(fuzz.GetProperty("warmup_frames").GetInt64() >= 500, fuzz.ToString()); // the baseline is read after a warm-up
        Assert.True(fuzz.TryGetProperty("heap_within_ten_percent", out var verdict) && verdict.ValueKind is JsonValueKind.True or JsonValueKind.False, fuzz.ToString());
        var byKind = fuzz.GetProperty("frames_by_kind");
        foreach (var kind in Enum.GetNames<FuzzKind>())
        {
            Assert.True(byKind.GetProperty(kind).GetInt64() > 0, $"no {kind} frames: {byKind}");
        }

        Assert.True(fuzz.GetProperty("exchange_after").GetBoolean(), "no normal exchange after the fuzzing");
        Assert.Equal(0, fuzz.GetProperty("internal_errors").GetInt64());
        Assert.True(fuzz.GetProperty("unexpected_log_lines").GetInt64() == 0, fuzz.GetProperty("unexpected_log_sample").ToString());
        Assert.True(fuzz.GetProperty("heap_before_bytes").GetInt64() > 0 && fuzz.GetProperty("heap_after_bytes").GetInt64() > 0, fuzz.ToString());
        Assert.True(fuzz.GetProperty("rss_after_bytes").GetInt64() > 0, fuzz.ToString());
        Assert.True(fuzz.GetProperty("frames_per_second").GetDouble() > 0, fuzz.ToString());
        Assert.Equal(0, result.Json.GetProperty("errors").GetProperty("total").GetInt64());
        Assert.Contains("| fuzzed frames, per second |", result.Markdown);
    }

    [Fact]
    public async Task soak_delivers_every_acknowledged_message_exactly_once_and_samples_the_node_every_interval()
    {
        var result = await BenchProcess.RunAsync(Deadline,
            [ScenarioNames.Soak, "--start-node", "--users", "10", "--rate", "20", "--duration", "30s", "--sample-interval", "10s", "--drain-timeout", "60s"]);

        Assert.True(result.ExitCode == 0, result.Output);
        var soak = result.Json.GetProperty("soak");
        Assert.True(soak.GetProperty("send_acked").GetInt64() > 100, soak.ToString());
        Assert.Equal(0, soak.GetProperty("lost").GetInt64());
        Assert.Equal(0, soak.GetProperty("duplicates").GetInt64());
        Assert.Equal(soak.GetProperty("send_acked").GetInt64(), soak.GetProperty("delivered_distinct").GetInt64());
        Assert.True(soak.GetProperty("reconnects").GetInt64() > 0, "no user reconnected");
        Assert.True(soak.GetProperty("read_receipts").GetInt64() > 0, "no READ receipt reached a sender");
        Assert.True(soak.GetProperty("offline_delivered").GetInt64() > 0, "no message waited for an offline recipient");

        var samples = soak.GetProperty("samples").EnumerateArray().ToList();
        Assert.True(samples.Count >= 2, $"{samples.Count} samples in 30 s at one per 10 s");
        foreach (var sample in samples)
        {
            Assert.True(sample.GetProperty("rss_bytes").GetInt64() > 0, sample.ToString());
            Assert.True(sample.GetProperty("heap_bytes").GetInt64() > 0, sample.ToString());
            Assert.True(sample.GetProperty("journal_rows").GetInt64() > 0, sample.ToString());
            Assert.True(sample.GetProperty("open_connections").GetInt32() > 0, sample.ToString());
        }

        var plot = File.ReadAllText(Path.Combine(result.OutDirectory, soak.GetProperty("plot").GetString()!));
        Assert.StartsWith("<svg", plot);
        Assert.Contains("<polyline", plot);
        Assert.Contains("| lost (acknowledged, never delivered) | 0 |", result.Markdown);
    }

    [Fact]
    public void Unexpected_log_lines_are_error_lines_and_exceptions_other_than_ProtocolException()
    {
        var log = string.Join('\n',
            "05:36:01.123 info  [ConnectionActor] closing: ProtocolException: bad frame",
            "05:36:01.124 error [UserActor] persist failed",
            "05:36:01.125 warn  [x] System.InvalidOperationException: boom",
            "05:36:01.126 info  [x] all good");

        var lines = FuzzScenario.UnexpectedLines(log);

        Assert.Equal(2, lines.Count);
        Assert.Contains("persist failed", lines[0]);
        Assert.Contains("InvalidOperationException", lines[1]);
    }
}
