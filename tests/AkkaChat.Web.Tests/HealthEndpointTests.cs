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
