using AkkaChat.TestKit;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace AkkaChat.Cli.Tests;

/// <summary>One node process shared by a test class; tests keep apart by their own phone numbers and AKKACHAT_HOME.</summary>
public sealed class NodeFixture : IAsyncLifetime
{
    public NodeProcess Node { get; private set; } = null!;

    public string Server => $"127.0.0.1:{Node.Port}";

    public async Task InitializeAsync() => Node = await NodeProcess.StartAsync();

    public async Task DisposeAsync() => await Node.DisposeAsync();
}


/// <summary>A temporary AKKACHAT_HOME, removed afterwards.</summary>
public sealed class TempHome : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("akkachat-cli-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // left for the OS to clean up
        }
    }
}
