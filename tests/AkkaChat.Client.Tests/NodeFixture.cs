using AkkaChat.TestKit;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace AkkaChat.Client.Tests;

/// <summary>One node process shared by a test class; tests keep apart by using their own phone numbers.</summary>
public sealed class NodeFixture : IAsyncLifetime
{
    // Generous send limits: these tests are about the client, not the node's rate limit.
    public const string Config = """
        akkachat.rate-limit.send-per-second = 10000
        akkachat.rate-limit.send-burst = 10000
        """;

    public NodeProcess Node { get; private set; } = null!;

    public async Task InitializeAsync() => Node = await NodeProcess.StartAsync(Config);

    public async Task DisposeAsync() => await Node.DisposeAsync();
}
