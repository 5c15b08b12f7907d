using System.Globalization;
using System.Text.Json;
using AkkaChat.Bench.Scenarios;
using AkkaChat.TestKit;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace AkkaChat.Bench.Tests;

/// <summary>A node shared by the smoke runs that point the bench at an existing node (--server, --node-pid).</summary>
public sealed class BenchNodeFixture : IAsyncLifetime
{
    public NodeProcess Node { get; private set; } = null!;

    public string[] ServerArgs => ["--server", $"127.0.0.1:{Node.Port}", "--node-pid", Node.ProcessId.ToString(CultureInfo.InvariantCulture)];

    public async Task InitializeAsync() => Node = await NodeProcess.StartAsync(BenchNode.Hocon);

    public async Task DisposeAsync() => await Node.DisposeAsync();
}

/// <summary>
/// Short runs of every scenario against real node processes, the bench started as a process. Each
/// must complete, count no error, measure something, and write both result files.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ScenarioSmokeTests(BenchNodeFixture fixture) : IClassFixture<BenchNodeFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task one_to_one_in_the_bench_process_delivers_messages_and_measures_their_latency()
    {
        var result = await BenchProcess.RunAsync(Deadline, [ScenarioNames.OneToOne, .. fixture.ServerArgs, "--users", "20", "--workers", "1", "--duration", "2s"]);

        var json = AssertCompletedWithoutErrors(result, ScenarioNames.OneToOne, users: 20, workerProcesses: 1);
        AssertMessagesDelivered(json);
        Assert.Contains("| throughput while sending (delivered/s) |", result.Markdown);
        Assert.True(json.GetProperty("messages").GetProperty("delivered_per_second_to_last").GetDouble() > 0);
    }

    [Fact]
    public async Task one_to_one_over_two_worker_processes_delivers_messages_and_measures_their_latency()
    {
        var result = await BenchProcess.RunAsync(Deadline, [ScenarioNames.OneToOne, .. fixture.ServerArgs, "--users", "20", "--workers", "2", "--duration", "2s", "--rate", "200"]);

        var json = AssertCompletedWithoutErrors(result, ScenarioNames.OneToOne, users: 20, workerProcesses: 2);
        AssertMessagesDelivered(json);
        Assert.Equal(200, json.GetProperty("options").GetProperty("rate_per_second").GetDouble());
    }

    [Fact]
    public async Task one_to_one_over_websocket_on_a_node_it_starts_delivers_messages_and_names_the_ws_endpoint()
    {
        var result = await BenchProcess.RunAsync(Deadline, [ScenarioNames.OneToOne, "--start-node", "--transport", "ws", "--users", "20", "--workers", "1", "--duration", "2s", "--rate", "200"]);

        var json = AssertCompletedWithoutErrors(result, ScenarioNames.OneToOne, users: 20, workerProcesses: 1);
        AssertMessagesDelivered(json);
        Assert.StartsWith("ws://127.0.0.1:", json.GetProperty("node").GetProperty("endpoint").GetString());
        Assert.Contains("Node: ws://127.0.0.1:", result.Markdown);
    }

    [Fact]
    public async Task offline_drain_times_every_login_until_its_queue_is_delivered()
    {
        var result = await BenchProcess.RunAsync(Deadline, [ScenarioNames.OfflineDrain, .. fixture.ServerArgs, "--users", "20", "--workers", "1", "--messages-per-user", "20"]);

        var json = AssertCompletedWithoutErrors(result, ScenarioNames.OfflineDrain, users: 20, workerProcesses: 1);
        var drain = json.GetProperty("drain");
        Assert.Equal(10, drain.GetProperty("recipients").GetInt64());
        Assert.Equal(200, drain.GetProperty("queued").GetInt64());
        Assert.Equal(200, drain.GetProperty("delivered").GetInt64());
        Assert.Equal(10, drain.GetProperty("drained_users").GetInt64());
        Assert.True(drain.GetProperty("messages_per_second").GetDouble() > 0);
        Assert.Equal(10, json.GetProperty("latency_ms").GetProperty("drain").GetProperty("count").GetInt64());
        Assert.Contains("| drained users | 10 of 10 |", result.Markdown);
    }

    [Fact]
    public async Task idle_connections_on_a_node_it_starts_reports_the_node_memory_per_connection()
    {
        var result = await BenchProcess.RunAsync(Deadline, [ScenarioNames.IdleConnections, "--start-node", "--users", "20", "--workers", "1", "--settle-timeout", "3s"]);

        var json = AssertCompletedWithoutErrors(result, ScenarioNames.IdleConnections, users: 20, workerProcesses: 1);
        var node = json.GetProperty("node");
        Assert.True(node.GetProperty("started_by_bench").GetBoolean());
        Assert.True(node.GetProperty("pid").GetInt32() > 0);
        Assert.True(node.GetProperty("rss_before_bytes").GetInt64() > 0);
        Assert.True(node.GetProperty("rss_after_bytes").GetInt64() > 0);
        Assert.True(node.TryGetProperty("bytes_per_connection", out _), "bytes_per_connection is missing");
        Assert.Contains("reveal-codes = on", node.GetProperty("config").GetString());
        Assert.Contains("| node bytes per connection |", result.Markdown);
    }

    [Fact]
    public async Task idle_connections_at_the_socket_layer_holds_plain_sockets_on_a_diagnostic_node_and_reports_the_heap_after_a_full_gc()
    {
        var result = await BenchProcess.RunAsync(Deadline, [ScenarioNames.IdleConnections, "--start-node", "--users", "20", "--workers", "1", "--settle-timeout", "3s", "--layer", "socket"]);

        Assert.True(result.ExitCode == 0, $"akkachat-bench exited with {result.ExitCode}:\n{result.Output}");
        var json = result.Json;
        Assert.Equal("socket", json.GetProperty("options").GetProperty("layer").GetString());
        Assert.Equal(20, json.GetProperty("users").GetProperty("connected").GetInt64());
        Assert.Equal(0, json.GetProperty("users").GetProperty("registered").GetInt64());
        var node = json.GetProperty("node");
        Assert.Contains("akkachat.transport.diagnostic-layer = socket", node.GetProperty("config").GetString());
        Assert.True(node.GetProperty("heap_before_bytes").GetInt64() > 0);
        Assert.True(node.GetProperty("heap_after_bytes").GetInt64() > 0);
        Assert.True(node.TryGetProperty("heap_bytes_per_connection", out _), "heap_bytes_per_connection is missing");
        Assert.Contains("| node managed heap bytes per connection |", result.Markdown);
    }

    private static JsonElement AssertCompletedWithoutErrors(BenchResult result, string scenario, int users, int workerProcesses)
    {
        Assert.True(result.ExitCode == 0, $"akkachat-bench exited with {result.ExitCode}:\n{result.Output}");
        Assert.StartsWith(scenario + "-", Path.GetFileName(result.JsonFile));
        Assert.Equal(Path.GetFileNameWithoutExtension(result.JsonFile), Path.GetFileNameWithoutExtension(result.MarkdownFile));

        var json = result.Json;
        Assert.Equal(scenario, json.GetProperty("scenario").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("commit").GetString()));
        var machine = json.GetProperty("machine");
        Assert.Equal(Environment.MachineName, machine.GetProperty("name").GetString());
        Assert.Equal(Environment.ProcessorCount, machine.GetProperty("processor_count").GetInt32());
        Assert.True(machine.GetProperty("total_memory_bytes").GetInt64() > 0);
        var options = json.GetProperty("options");
        Assert.Equal(users, options.GetProperty("users").GetInt32());
        Assert.Equal(workerProcesses, options.GetProperty("worker_processes").GetInt32());
        Assert.Equal(users, json.GetProperty("users").GetProperty("registered").GetInt64());
        Assert.Equal(users, json.GetProperty("users").GetProperty("connected").GetInt64());
        var errors = json.GetProperty("errors");
        Assert.True(errors.GetProperty("total").GetInt64() == 0, $"errors: {errors}\n{result.Output}");

        var markdown = result.Markdown;
        Assert.Contains($"# akkachat-bench {scenario}", markdown);
        Assert.Contains(Environment.MachineName, markdown);
        Assert.Contains($"commit `{json.GetProperty("commit").GetString()}`", markdown);
        Assert.Contains($"| users (N) | {users} |", markdown);
        Assert.Contains("| errors | 0 |", markdown);
        return json;
    }

    private static void AssertMessagesDelivered(JsonElement json)
    {
        var messages = json.GetProperty("messages");
        var sent = messages.GetProperty("sent").GetInt64();
        Assert.True(messages.GetProperty("delivered").GetInt64() > 0, $"nothing delivered: {messages}");
        Assert.Equal(sent, messages.GetProperty("send_acked").GetInt64());
        Assert.Equal(sent, messages.GetProperty("delivered").GetInt64());
        Assert.True(messages.GetProperty("delivered_per_second").GetDouble() > 0);
        var latency = json.GetProperty("latency_ms");
        foreach (var measure in new[] { "send_to_deliver", "send_to_send_ack" })
        {
            var summary = latency.GetProperty(measure);
            Assert.Equal(sent, summary.GetProperty("count").GetInt64());
            foreach (var percentile in new[] { "p50", "p90", "p99", "p999", "max" })
            {
                Assert.True(summary.GetProperty(percentile).GetDouble() > 0, $"{measure}.{percentile} is not positive: {summary}");
            }
        }
    }
}

/// <summary>The command line as a user meets it.</summary>
[Trait("Category", "Slow")]
public sealed class CommandLineTests
{
    [Fact]
    public async Task group_fanout_over_worker_processes_is_refused_before_it_starts()
    {
        var result = await BenchProcess.RunAsync(TimeSpan.FromSeconds(30), ScenarioNames.GroupFanout, "--start-node", "--workers", "2");

        Assert.Equal(BenchCommandLine.UsageError, result.ExitCode);
        Assert.Contains("--workers must be 0 or 1", result.Output);
        Assert.Empty(Directory.GetFiles(result.OutDirectory));
    }

    [Fact]
    public async Task a_run_without_a_node_is_refused_before_it_starts()
    {
        var result = await BenchProcess.RunAsync(TimeSpan.FromSeconds(30), ScenarioNames.OneToOne, "--users", "10");

        Assert.Equal(BenchCommandLine.UsageError, result.ExitCode);
        Assert.Contains("give either --server HOST:PORT or --start-node", result.Output);
    }
}
