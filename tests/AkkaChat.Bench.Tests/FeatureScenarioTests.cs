using System.Text.Json;
using AkkaChat.Bench.Scenarios;

namespace AkkaChat.Bench.Tests;

/// <summary>
/// Tiny runs of the feature scenarios (group-fanout, presence-storm, status-fanout, media) against a real
/// node process: each completes without errors, delivers exactly what it should, and reports its
/// figures (per second, node CPU per delivery, latency) in both result files.
/// </summary>
[Trait("Category", "Slow")]
public sealed class FeatureScenarioTests(BenchNodeFixture fixture) : IClassFixture<BenchNodeFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task group_fanout_delivers_every_message_to_every_online_and_offline_member_of_each_group_size()
    {
        var result = await BenchProcess.RunAsync(Deadline,
            [ScenarioNames.GroupFanout, .. fixture.ServerArgs, "--group-sizes", "3,5", "--messages", "4", "--rate", "50", "--offline-fraction", "0.5"]);

        var steps = AssertStepsReported(result, ScenarioNames.GroupFanout, users: 8, steps: 2);
        foreach (var (step, size) in steps.Zip(new[] { 3, 5 }))
        {
            Assert.Equal(size, step.GetProperty("size").GetInt32());
            Assert.Equal(4, step.GetProperty("acknowledged").GetInt64());
            Assert.Equal(4L * (size - 1), step.GetProperty("delivered").GetInt64()); // every other member, online or offline
            Assert.True(step.GetProperty("offline").GetInt32() > 0, "some members were offline while it sent");
            var extra = step.GetProperty("extra");
            Assert.Equal(4L * step.GetProperty("online").GetInt32(), (long)extra.GetProperty("online_copies").GetDouble());
            Assert.Equal(4L * step.GetProperty("offline").GetInt32(), (long)extra.GetProperty("offline_copies").GetDouble());
            Assert.Equal(4, result.Json.GetProperty("latency_ms").GetProperty($"group_{size}.send_to_last_member").GetProperty("count").GetInt64());
        }

        Assert.Contains("| group of 5: node CPU per delivered |", result.Markdown);
    }

    [Fact]
    public async Task presence_storm_notifies_every_watcher_of_every_change()
    {
        var result = await BenchProcess.RunAsync(Deadline, [ScenarioNames.PresenceStorm, .. fixture.ServerArgs, "--targets", "2", "--watchers", "6", "--cycles", "2"]);

        var step = AssertStepsReported(result, ScenarioNames.PresenceStorm, users: 8, steps: 1).Single();
        Assert.Equal(2 * 2 * 2, step.GetProperty("sent").GetInt64()); // 2 targets x 2 cycles x (offline, online)
        Assert.Equal(8 * 6, step.GetProperty("delivered").GetInt64()); // each change to each of 6 watchers
        Assert.Equal(48, result.Json.GetProperty("latency_ms").GetProperty("presence.change_to_notification").GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task status_fanout_delivers_every_status_to_every_mutual_contact()
    {
        var result = await BenchProcess.RunAsync(Deadline, [ScenarioNames.StatusFanout, .. fixture.ServerArgs, "--contacts", "7", "--statuses", "3"]);

        var step = AssertStepsReported(result, ScenarioNames.StatusFanout, users: 8, steps: 1).Single();
        Assert.Equal(3, step.GetProperty("acknowledged").GetInt64());
        Assert.Equal(3 * 7, step.GetProperty("delivered").GetInt64());
        Assert.Equal(3, result.Json.GetProperty("latency_ms").GetProperty("status.post_to_last_contact").GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task media_uploads_then_downloads_every_file_equal_to_its_upload_and_reports_megabytes_per_second()
    {
        var result = await BenchProcess.RunAsync(Deadline, [ScenarioNames.Media, "--start-node", "--clients", "4", "--files", "3", "--media-bytes", "200000"]);

        var steps = AssertStepsReported(result, ScenarioNames.Media, users: 4, steps: 2);
        foreach (var step in steps)
        {
            Assert.Equal(12, step.GetProperty("delivered").GetInt64()); // 4 clients x 3 files, each way
            var extra = step.GetProperty("extra");
            Assert.Equal(Math.Round(12 * 200_000 / 1048576.0, 2), extra.GetProperty("megabytes").GetDouble());
            Assert.True(extra.GetProperty("megabytes_per_second").GetDouble() > 0, $"no MB/s: {step}");
        }

        Assert.StartsWith("upload:", steps[0].GetProperty("name").GetString());
        Assert.StartsWith("download:", steps[1].GetProperty("name").GetString());
        Assert.Equal(12, result.Json.GetProperty("latency_ms").GetProperty("media.download").GetProperty("count").GetInt64());
        Assert.Contains(": megabytes per second |", result.Markdown);
    }

    [Fact]
    public async Task media_against_a_server_it_did_not_start_is_refused_before_it_starts()
    {
        var result = await BenchProcess.RunAsync(Deadline, [ScenarioNames.Media, .. fixture.ServerArgs]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--start-node", result.Output);
    }

    private static List<JsonElement> AssertStepsReported(BenchResult result, string scenario, int users, int steps)
    {
        Assert.True(result.ExitCode == 0, $"akkachat-bench exited with {result.ExitCode}:\n{result.Output}");
        Assert.StartsWith(scenario + "-", Path.GetFileName(result.JsonFile));
        var json = result.Json;
        Assert.Equal(scenario, json.GetProperty("scenario").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("commit").GetString()));
        Assert.Equal(users, json.GetProperty("users").GetProperty("registered").GetInt64());
        var errors = json.GetProperty("errors");
        Assert.True(errors.GetProperty("total").GetInt64() == 0, $"errors: {errors}\n{result.Output}");

        var reported = json.GetProperty("feature_steps").EnumerateArray().ToList();
        Assert.Equal(steps, reported.Count);
        foreach (var step in reported)
        {
            Assert.True(step.GetProperty("delivered_per_second").GetDouble() > 0, $"no rate: {step}");
            // Measured (the node's pid is known); a tiny step may use less than one 10 ms CPU tick, so 0 is a figure too.
            Assert.True(step.GetProperty("node_micros_per_delivered").GetDouble() >= 0, $"no node CPU per delivery: {step}");
            Assert.True(step.GetProperty("node_cpu_seconds").GetDouble() >= 0, $"no node CPU: {step}");
            Assert.True(step.GetProperty("p50_ms").GetDouble() > 0 && step.GetProperty("p99_ms").GetDouble() >= step.GetProperty("p50_ms").GetDouble(), $"latency: {step}");
            Assert.Contains($"| {step.GetProperty("name").GetString()}: delivered, per second |", result.Markdown);
        }

        Assert.Contains($"# akkachat-bench {scenario}", result.Markdown);
        Assert.Contains($"commit `{json.GetProperty("commit").GetString()}`", result.Markdown);
        Assert.Contains("| errors | 0 |", result.Markdown);
        return reported;
    }
}
