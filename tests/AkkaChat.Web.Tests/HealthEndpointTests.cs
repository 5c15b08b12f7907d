using System.Text.RegularExpressions;
using System.Net;

namespace AkkaChat.Web.Tests;

/// <summary>/healthz and /readyz of a running single-node process.</summary>
[Trait("Category", "Slow")]
public sealed class HealthEndpointTests(WebNodeFixture fixture) : IClassFixture<WebNodeFixture>
{
    [Fact]
    public async Task Healthz_answers_alive()
    {
        using var answer = await fixture.Http.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("alive\n", await answer.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readyz_reports_the_listener_the_journal_and_the_cluster_member_ready()
    {
        // The member becomes Up a moment after the node starts: await readiness with a deadline.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        HttpStatusCode status;
        string body;
        do
        {
            using var answer = await fixture.Http.GetAsync("readyz");
            (status, body) = (answer.StatusCode, await answer.Content.ReadAsStringAsync());
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < until && await Delay());

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("listener: ok\njournal: ok\nmember: ok\n", body);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(200);
        return true;
    }
}

/// <summary>/metrics of a running node, checked by Prometheus's own promtool.</summary>
[Trait("Category", "Slow")]
public sealed class MetricsEndpointTests(WebNodeFixture fixture) : IClassFixture<WebNodeFixture>
{
    [Fact]
    public async Task Metrics_pass_promtool_and_count_connections_by_transport_frames_by_type_and_media_uploads()
    {
        await using var web = await WebSocketClient.ConnectAsync(fixture.Node.WebPort);
        await web.SendAsync(new AkkaChat.Protocol.Messages.Ping { Nonce = 1 });
        await web.ExpectAsync<AkkaChat.Protocol.Messages.Pong>();
        using (var unauthorized = new HttpRequestMessage(HttpMethod.Post, "v1/media") { Content = new ByteArrayContent([1]) })
        {
            (await fixture.Http.SendAsync(unauthorized)).Dispose();
        }

        // The gauges are sampled every few seconds: await the open WebSocket connection with a deadline.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string text;
        while (!Regex.IsMatch(text = await fixture.Http.GetStringAsync("metrics"), "akkachat_connections_open\\{[^}]*transport=\"websocket\"[^}]*\\} 1") && DateTime.UtcNow < until)
        {
            await Task.Delay(200);
        }

        Assert.Matches("akkachat_websocket_sessions\\{node=\"[^\"]+\"\\} 1", text);
        Assert.Matches("akkachat_connections_open\\{[^}]*transport=\"websocket\"[^}]*\\} 1", text);
        Assert.Matches("akkachat_connections_accepted_total\\{[^}]*transport=\"websocket\"[^}]*\\} [1-9]", text);
        Assert.Matches("akkachat_frames_received_total\\{[^}]*type=\"Ping\"[^}]*\\} [1-9]", text);
        foreach (var family in new[]
        {
            "akkachat_logins_total", "akkachat_errors_sent_total", "akkachat_messages_queued_total", "akkachat_items_delivered_total",
            "akkachat_items_acknowledged_total", "akkachat_items_expired_total", "akkachat_journal_failures_total", "akkachat_supervisor_failures_total",
            "akkachat_send_ack_duration_seconds", "akkachat_journal_write_duration_seconds", "akkachat_items_queued", "akkachat_users_online",
            "akkachat_shards", "akkachat_entities", "akkachat_cluster_members", "akkachat_cluster_unreachable",
            "dotnet_collection_count_total",
        })
        {
            Assert.Contains($"# TYPE {family} ", text);
        }

        Assert.Matches("akkachat_cluster_members\\{node=\"[^\"]+\"\\} 1", text);
        Assert.Matches("akkachat_media_uploads_total\\{[^}]*result=\"unauthorized\"[^}]*\\} [1-9]", text);
        Assert.Contains("akkachat_connections_accepted_total", text); // the node's own meter
        Assert.Contains("dotnet_total_memory_bytes", text); // the runtime's heap
        Assert.Contains("process_working_set_bytes", text);

        var promtool = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("promtool", "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        await promtool.StandardInput.WriteAsync(text);
        promtool.StandardInput.Close();
        var problems = await promtool.StandardError.ReadToEndAsync() + await promtool.StandardOutput.ReadToEndAsync();
        await promtool.WaitForExitAsync();
        Assert.True(promtool.ExitCode == 0, $"promtool check metrics: {problems}");
    }
}
