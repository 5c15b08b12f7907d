using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Configuration;
using AkkaChat.Node.Diagnostics;
using AkkaChat.Node.Web;
using Prometheus;

namespace AkkaChat.Web.Tests;

/// <summary>Two nodes in one process keep their own metrics; the alert rules pass promtool.</summary>
public sealed class NodeMetricsTests
{
    private static ActorSystem Node(string name) =>
        ActorSystem.Create("akkachat", ConfigurationFactory.ParseString($"akkachat.node-name = \"{name}\""));

    private static async Task<string> ScrapeAsync(WebMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public async Task Two_nodes_in_one_process_export_only_their_own_counts_and_latencies()
    {
        using var a = Node("node-a");
        using var b = Node("node-b");
        using var exportA = new WebMetrics(a);
        using var exportB = new WebMetrics(b);
        NodeMetrics.Get(a).MessagesQueued.Add(3);
        NodeMetrics.Get(b).MessagesQueued.Add(5);
        NodeMetrics.Get(a).ErrorsSent.Add(2, new KeyValuePair<string, object?>("code", "Internal"));
        NodeMetrics.Get(b).RecordJournalWrite(TimeSpan.FromMilliseconds(30));

        var textA = await ScrapeAsync(exportA);
        var textB = await ScrapeAsync(exportB);
        Assert.Contains("akkachat_messages_queued_total{node=\"node-a\"} 3", textA);
        Assert.Contains("akkachat_messages_queued_total{node=\"node-b\"} 5", textB);
        Assert.Matches("akkachat_errors_sent_total\\{(code=\"Internal\",node=\"node-a\"|node=\"node-a\",code=\"Internal\")\\} 2", textA);
        Assert.DoesNotContain("code=\"Internal\"", textB);
        Assert.Contains("akkachat_journal_write_duration_seconds_count{node=\"node-b\"} 1", textB);
        Assert.Contains("akkachat_journal_write_duration_seconds_bucket{node=\"node-b\",le=\"0.05\"} 1", textB);
        Assert.Contains("akkachat_journal_write_duration_seconds_bucket{node=\"node-b\",le=\"0.025\"} 0", textB);
        Assert.DoesNotMatch("akkachat_journal_write_duration_seconds_count\\{node=\"node-a\"\\} [1-9]", textA);
        Assert.Equal(TimeSpan.FromMilliseconds(30), NodeMetrics.Get(b).JournalWrites.Percentile(99)!.Value.Value);
        Assert.Null(NodeMetrics.Get(a).JournalWrites.Percentile(99));
    }

    [Fact]
    public void The_latency_window_gives_the_99th_percentile_of_the_samples_it_keeps()
    {
        var window = new LatencyWindow(100);
        for (var ms = 1; ms <= 200; ms++)
        {
            window.Add(TimeSpan.FromMilliseconds(ms)); // only the last 100 (101..200 ms) are kept
        }

        var p99 = window.Percentile(99)!.Value;
        Assert.Equal(100, p99.Samples);
        Assert.Equal(TimeSpan.FromMilliseconds(199), p99.Value);
        Assert.Equal(TimeSpan.FromMilliseconds(101), window.Percentile(0)!.Value.Value);
    }

    private static string RulesDir()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AkkaChat.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("no AkkaChat.sln above the test binaries"), "scripts", "prometheus");
    }

    private static async Task<(int ExitCode, string Output)> PromtoolAsync(string arguments)
    {
        var info = new System.Diagnostics.ProcessStartInfo("promtool", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RulesDir() };
        using var promtool = System.Diagnostics.Process.Start(info)!;
        var output = await promtool.StandardOutput.ReadToEndAsync() + await promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync();
        return (promtool.ExitCode, output);
    }

    [Fact]
    public async Task The_alert_rules_pass_promtool_and_fire_on_the_series_that_should_raise_them()
    {
        var check = await PromtoolAsync("check rules akkachat-alerts.yml");
        Assert.True(check.ExitCode == 0, check.Output);
        Assert.Matches(new Regex("SUCCESS: 6 rules found"), check.Output);
        var test = await PromtoolAsync("test rules akkachat-alerts.test.yml");
        Assert.True(test.ExitCode == 0, test.Output);
        foreach (var alert in new[] { "AkkaChatServerErrorRate", "AkkaChatSendAckLatencyP99High", "AkkaChatJournalWriteLatencyP99High", "AkkaChatUnreachableMembers", "AkkaChatJournalFailures" })
        {
            Assert.Contains($"alert: {alert}", await File.ReadAllTextAsync(Path.Combine(RulesDir(), "akkachat-alerts.yml")));
        }
    }
}
