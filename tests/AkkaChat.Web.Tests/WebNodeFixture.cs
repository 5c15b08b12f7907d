using AkkaChat.TestKit;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace AkkaChat.Web.Tests;

/// <summary>One node process with its web port, shared by a test class; tests use their own phones.</summary>
public class WebNodeFixture : IAsyncLifetime
{
    public const string Config = """
        akkachat.rate-limit.send-per-second = 10000
        akkachat.rate-limit.send-burst = 10000
        akkachat.media.max-bytes = 1m
        """;

    public NodeProcess Node { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    protected virtual string NodeConfig => Config;

    public async Task InitializeAsync()
    {
        Node = await NodeProcess.StartAsync(NodeConfig);
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Node.WebPort}/") };
        await WaitForWebPortAsync(Node, Http);
    }

    /// <summary>The web port opens right after the TCP listener; wait for it with a deadline.</summary>
    public static async Task WaitForWebPortAsync(NodeProcess node, HttpClient http)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                using var answer = await http.GetAsync("v1/ws");
                return; // any HTTP answer: Kestrel is serving
            }
            catch (HttpRequestException) when (DateTime.UtcNow < until && !node.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Node.DisposeAsync();
    }
}
