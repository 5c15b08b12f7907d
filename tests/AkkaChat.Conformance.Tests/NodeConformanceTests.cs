using AkkaChat.TestKit;
using Xunit.Abstractions;

namespace AkkaChat.Conformance.Tests;

/// <summary>The node built from this tree, as a real process, held to every check of the areas it serves today.</summary>
[Trait("Category", "Slow")]
public sealed class NodeConformanceTests(ITestOutputHelper log)
{
    /// <summary>The areas the node serves; presence, typing, contacts, status, groups, keys, media and WebSocket follow with their features.</summary>
    public const string ServedAreas = "framing,errors,login,sending,idempotency,ordering,delivery,receipts,retention";

    // Short limits so that IDLE_TIMEOUT, OVERLOADED and RATE_LIMITED are observable within a test run.
    private const string Limits = """
        akkachat.connection.idle-timeout = 8s
        akkachat.connection.max-connections = 40
        akkachat.rate-limit.send-per-second = 20
        akkachat.rate-limit.send-burst = 60
        """;

    [Fact]
    public async Task The_node_passes_every_check_of_the_areas_it_serves()
    {
        await using var node = await NodeProcess.StartAsync(Limits);
        var junit = Path.Combine(node.DataDir, "conformance.xml");
        var output = new StringWriter();
        var exit = await ConformanceCli.RunAsync(
            [$"127.0.0.1:{node.Port}", "--only", ServedAreas, "--idle-timeout", "8s", "--max-connections", "40", "--timeout", "10s", "--junit", junit],
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
}
