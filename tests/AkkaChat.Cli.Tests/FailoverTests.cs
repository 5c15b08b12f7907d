using AkkaChat.TestKit;

namespace AkkaChat.Cli.Tests;

/// <summary>akkachat with a server list when its node dies: it moves on to the next node of the list.</summary>
[Trait("Category", "Slow")]
public sealed class FailoverTests : IDisposable
{
    private readonly TempHome _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Listen_moves_to_the_next_server_of_its_list_when_its_node_dies()
    {
        // The same journal (data directory) served first on one port, then on another, as a
        // cluster's surviving node would serve it.
        var data = Directory.CreateTempSubdirectory("akkachat-failover-").FullName;
        var (firstPort, secondPort) = (NodeProcess.FreePort(), NodeProcess.FreePort());
        var servers = $"127.0.0.1:{firstPort},127.0.0.1:{secondPort}";
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var first = await NodeProcess.StartAsync(dataDir: data, port: firstPort);
        foreach (var phone in new[] { alice, bob })
        {
            var registered = await CliProcess.RunAsync(_home.Path, "register", phone, "--dev", "--server", servers);
            Assert.True(registered.ExitCode == 0, registered.ToString());
        }

        await using var listening = CliProcess.Start(_home.Path, "listen", "--as", bob, "--count", "1", "--timeout", "90s");
        await listening.WaitForLineAsync(l => l.StartsWith($"listening as {bob} on 127.0.0.1:{firstPort}"), "listen is logged in to the first node", stderr: true);
        await first.KillAsync();
        await listening.WaitForLineAsync(l => l.Contains("lost; reconnecting"), "listen noticed the node is gone", stderr: true);
        await using var second = await NodeProcess.StartAsync(dataDir: data, port: secondPort);
        var sent = await CliProcess.RunAsync(_home.Path, "send", bob, "via the second node", "--as", alice);
        var listened = await listening.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(sent.ExitCode == 0, sent.ToString());
        Assert.True(listened.ExitCode == 0, listened.ToString());
        Assert.Contains($"connected again, to 127.0.0.1:{secondPort}", listened.Stderr);
        Assert.Contains($"{alice}: via the second node", listened.Stdout);
    }
}
