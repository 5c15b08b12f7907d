using AkkaChat.TestKit;

namespace AkkaChat.Pbm.Tests;

/// <summary>A 3-node process cluster whose management hosts require a token, shared by one test class.</summary>
public sealed class ManagementClusterFixture : IAsyncLifetime
{
    public string TokenFile { get; } = Path.Combine(Path.GetTempPath(), $"pbm-token-{Guid.NewGuid():N}");

    public ProcessCluster Cluster { get; private set; } = null!;

    public IReadOnlyList<int> ManagementPorts { get; private set; } = [];

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(TokenFile, Guid.NewGuid().ToString("N") + "\n");
        Cluster = await ProcessCluster.StartAsync(3, $"akkachat.management.token-file = \"{TokenFile}\"");
        var ports = new List<int>();
        foreach (var node in Cluster.Nodes)
        {
            ports.Add(await PbmProcess.ManagementPortAsync(node));
        }

        ManagementPorts = ports;
    }

    public Task<PbmResult> PbmAsync(int node, params string[] words) => PbmProcess.RunAsync(ManagementPorts[node], TokenFile, words);

    /// <summary>Runs a command until its output satisfies <paramref name="done"/>; fails with the last output and the cluster report.</summary>
    public async Task<PbmResult> PbmUntilAsync(int node, Func<PbmResult, bool> done, TimeSpan deadline, params string[] words)
    {
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            var result = await PbmAsync(node, words);
            if (done(result))
            {
                return result;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"'{string.Join(' ', words)}' on node {node + 1} did not give the expected output within {deadline}:\n{result}\n{Cluster.Report()}");
            }

            await Task.Delay(200);
        }
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        File.Delete(TokenFile);
    }
}
