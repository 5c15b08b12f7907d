using System.Text.Json;
using AkkaChat.Bench.Scenarios;

namespace AkkaChat.Bench.Tests;

/// <summary>The latency-ladder, the CPU figures and the saturation flag, with the bench and its node as real processes.</summary>
[Trait("Category", "Slow")]
public sealed class LatencyLadderTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task latency_ladder_runs_each_step_on_a_fresh_node_and_reports_its_latency_and_cpu()
    {
        var result = await BenchProcess.RunAsync(Deadline, [ScenarioNames.LatencyLadder, "--start-node", "--users", "20", "--steps", "40,80", "--step-duration", "2s"]);

        Assert.True(result.ExitCode == 0, $"akkachat-bench exited with {result.ExitCode}:\n{result.Output}");
        var json = result.Json;
        Assert.Equal(ScenarioNames.LatencyLadder, json.GetProperty("scenario").GetString());
        var steps = json.GetProperty("ladder").EnumerateArray().ToList();
        Assert.Equal([40.0, 80.0], steps.Select(s => s.GetProperty("offered_per_second").GetDouble()));
        Assert.NotEqual(steps[0].GetProperty("endpoint").GetString(), steps[1].GetProperty("endpoint").GetString()); // a fresh node per step
        foreach (var step in steps)
        {
            Assert.True(step.GetProperty("delivered").GetInt64() > 0, $"nothing delivered: {step}");
            Assert.Equal(step.GetProperty("sent").GetInt64(), step.GetProperty("delivered").GetInt64());
            Assert.True(step.GetProperty("p50_ms").GetDouble() > 0);
            Assert.True(step.GetProperty("p99_ms").GetDouble() >= step.GetProperty("p50_ms").GetDouble());
            AssertCpuFigures(step.GetProperty("cpu"));
        }

        AssertCpuFigures(json.GetProperty("cpu"));
        Assert.True(json.TryGetProperty("saturated", out var saturated) && saturated.ValueKind is JsonValueKind.True or JsonValueKind.False);
        Assert.Contains("| ladder 40/s: p50 / p99 / delivered |", result.Markdown);
        Assert.Contains("| highest rate with p99 <= 10 ms |", result.Markdown);
    }

    [Fact]
    public async Task a_rate_the_node_cannot_sustain_is_flagged_saturated()
    {
        // Each of the 10 senders offers 20 msg/s; the node admits 2 per second per user.
        var result = await BenchProcess.RunAsync(Deadline, [ScenarioNames.OneToOne, "--start-node", "--users", "20", "--rate", "200", "--duration", "3s",
            "--node-set", "akkachat.rate-limit.send-per-second = 2", "--node-set", "akkachat.rate-limit.send-burst = 2"]);

        Assert.True(result.ExitCode == 0, $"akkachat-bench exited with {result.ExitCode}:\n{result.Output}");
        var json = result.Json;
        Assert.True(json.GetProperty("saturated").GetBoolean(), $"not flagged: {json}");
        var reasons = json.GetProperty("saturation").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Contains(reasons, r => r.Contains("of 200/s offered"));
        Assert.Contains("SATURATED: ", result.Output);
        Assert.Contains("**SATURATED: ", result.Markdown);
        Assert.Contains("akkachat.rate-limit.send-per-second = 2", json.GetProperty("node").GetProperty("config").GetString());
    }

    private static void AssertCpuFigures(JsonElement cpu)
    {
        foreach (var field in new[] { "node_micros_per_delivered_message", "node_micros_per_login", "node_seconds_in_window", "load_generator_seconds", "measured_window_seconds" })
        {
            Assert.True(cpu.TryGetProperty(field, out var value) && value.GetDouble() > 0, $"cpu.{field} is missing or not positive: {cpu}");
        }

        Assert.True(cpu.GetProperty("load_generator_processes").GetInt32() >= 1);
        Assert.True(cpu.GetProperty("logins").GetInt64() > 0);
    }
}
