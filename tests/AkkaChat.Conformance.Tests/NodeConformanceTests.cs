using AkkaChat.TestKit;
using Xunit.Abstractions;

namespace AkkaChat.Conformance.Tests;

/// <summary>The node built from this tree, as a real process, held to every check of the areas it serves today.</summary>
[Trait("Category", "Slow")]
public sealed class NodeConformanceTests(ITestOutputHelper log)
{
    /// <summary>
    /// The areas the node is held to: every area of the kit (KitTests asserts that no area is left
    /// out), so CI runs the whole kit against a node started from the build.
    /// </summary>
    public const string ServedAreas = "framing,errors,login,sending,idempotency,ordering,delivery,receipts,retention,presence,typing,contacts,status,groups,keys,media,websocket";

    // Short limits so that IDLE_TIMEOUT, OVERLOADED and RATE_LIMITED are observable within a test run.
    private const string Limits = """
        akkachat.connection.idle-timeout = 8s
        akkachat.connection.max-connections = 40
        akkachat.rate-limit.send-per-second = 20
        akkachat.rate-limit.send-burst = 60
        """;

    [Fact]
    public async Task The_node_passes_every_check_of_every_area()
    {
        await using var node = await NodeProcess.StartAsync(Limits);
        var junit = Path.Combine(node.DataDir, "conformance.xml");
        var output = new StringWriter();
        var exit = await ConformanceCli.RunAsync(
            [$"127.0.0.1:{node.Port}", "--web-port", node.WebPort.ToString(), "--only", ServedAreas, "--idle-timeout", "8s", "--max-connections", "40", "--timeout", "10s", "--junit", junit],
            output, output, CancellationToken.None);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var line in lines)
        {
            log.WriteLine(line);
        }

        Assert.DoesNotContain(lines, l => l.StartsWith("FAIL ", StringComparison.Ordinal));
        Assert.Equal(ConformanceCli.Ok, exit);
        var passed = lines.Count(l => l.StartsWith("PASS ", StringComparison.Ordinal));
        Assert.True(passed >= 50, $"only {passed} checks passed");
        Assert.Equal($"{passed} passed, 0 failed", lines[^1]);
        Assert.True(File.Exists(junit));
    }

    [Fact]
    public async Task A_node_with_a_short_max_age_drops_an_item_never_acknowledged()
    {
        // retention/unacknowledged_item_is_dropped_after_max_age waits max-age itself, so it runs
        // against a node of its own with a short one. Passivation stays at its default (2 min), so
        // the user's actor stays resident throughout and must drop the item while it runs.
        await using var node = await NodeProcess.StartAsync("akkachat.retention.max-age = 3s");
        var output = new StringWriter();
        var exit = await ConformanceCli.RunAsync(
            [$"127.0.0.1:{node.Port}", "--only", "retention", "--retention-max-age", "3s"],
            output, output, CancellationToken.None);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var line in lines)
        {
            log.WriteLine(line);
        }

        Assert.Equal(ConformanceCli.Ok, exit);
        Assert.Contains(lines, l => l.StartsWith("PASS retention/unacknowledged_item_is_dropped_after_max_age", StringComparison.Ordinal));
        Assert.Equal("2 passed, 0 failed", lines[^1]);
    }

    [Fact]
    public async Task A_node_that_does_not_reveal_codes_is_checked_with_the_codes_its_sms_sender_logged()
    {
        // A production-like node: reveal-codes off, so dev_code is empty and the kit reads each code
        // from the built-in SMS sender's log, as an operator would from `node > node.log`.
        await using var node = await NodeProcess.StartAsync("akkachat.auth.reveal-codes = off");
        var logFile = Path.Combine(node.DataDir, "node.log");
        using var stop = new CancellationTokenSource();
        var copying = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await File.WriteAllTextAsync(logFile + ".tmp", node.Output);
                File.Move(logFile + ".tmp", logFile, overwrite: true);
                await Task.Delay(100); // the copy's cadence, not a wait for a condition
            }
        });

        var output = new StringWriter();
        var exit = await ConformanceCli.RunAsync(
            [$"127.0.0.1:{node.Port}", "--only", "login", "--code-from-file", logFile],
            output, output, CancellationToken.None);
        await stop.CancelAsync();
        await copying;

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var line in lines)
        {
            log.WriteLine(line);
        }

        Assert.Equal(ConformanceCli.Ok, exit);
        Assert.Contains(lines, l => l.StartsWith("PASS login/request_code_answers_code_sent", StringComparison.Ordinal) && l.Contains("code from the file"));
        Assert.Matches(@"^\d+ passed, 0 failed$", lines[^1]);
    }
}
