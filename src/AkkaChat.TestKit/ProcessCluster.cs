using System.Text;
using System.Text.RegularExpressions;
using AkkaChat.Node.Hosting;

namespace AkkaChat.TestKit;

/// <summary>
/// Several AkkaChat nodes as real processes on free ports, sharing a fresh PostgreSQL journal and
/// joined into one cluster (every node a seed). For faults that only a process has: <c>kill -9</c>
/// (<see cref="NodeProcess.KillAsync"/>) and SIGTERM (<see cref="NodeProcess.TerminateAsync"/>).
/// Membership is read from the nodes' logs (the leader logs every member it moves to Up).
/// </summary>
public sealed partial class ProcessCluster : IChatNodes, IAsyncDisposable
{
    private readonly List<NodeProcess> _nodes = new();
    private readonly PostgresDatabase _database;

    private ProcessCluster(PostgresDatabase database) => _database = database;

    public IReadOnlyList<NodeProcess> Nodes => _nodes;

    /// <summary>The cluster's PostgreSQL database (journal, snapshots, tables), for tests that read what the nodes stored.</summary>
    public string DatabaseConnectionString => _database.ConnectionString;

    public IEnumerable<IChatNode> RunningNodes => _nodes.Where(n => n.IsRunning);

    /// <summary>Starts <paramref name="nodes"/> node processes and waits until all are Up.</summary>
    public static async Task<ProcessCluster> StartAsync(int nodes, string hocon = "")
    {
        var cluster = new ProcessCluster(await PostgresDatabase.CreateAsync());
        try
        {
            var remotePorts = Enumerable.Range(0, nodes).Select(_ => NodeProcess.FreePort()).ToList();
            var seeds = string.Join(", ", remotePorts.Select(p => $"\"akka.tcp://{AkkaChatHostingExtensions.ActorSystemName}@127.0.0.1:{p}\""));
            var starts = remotePorts.Select((remotePort, i) => NodeProcess.StartAsync(
                $$"""
                akkachat.node-name = "node-{{i + 1}}"
                akkachat.storage.provider = postgresql
                akkachat.storage.connection-string = "{{cluster._database.ConnectionString}}"
                akkachat.cluster.port = {{remotePort}}
                akkachat.cluster.seed-nodes = [{{seeds}}]
                akka.cluster.seed-node-timeout = 2s
                # AwaitUpAsync reads the leader's "moving node ... to [Up]" lines, which Akka logs at info.
                akkachat.log.akka-level = info
                {{ChatClusterOptions.FastFailover}}
                {{hocon}}
                """,
                name: $"node-{i + 1}")).ToList();
            foreach (var start in starts)
            {
                try
                {
                    cluster._nodes.Add(await start);
                }
                catch
                {
                    // keep the started ones for disposal, report the failure below
                    await Task.WhenAll(starts.Where(s => s.IsCompletedSuccessfully).Select(s => s.Result.DisposeAsync().AsTask()));
                    throw;
                }
            }

            await cluster.AwaitUpAsync(nodes, TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            await cluster._database.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until the nodes' logs show <paramref name="members"/> distinct members moved to Up.</summary>
    public async Task AwaitUpAsync(int members, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        while (UpMembersLogged() < members)
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"{members} members not Up within {deadline}\n{Report()}");
            }

            await Task.Delay(200);
        }
    }

    private int UpMembersLogged() =>
        _nodes.SelectMany(n => UpMember().Matches(n.Output).Select(m => m.Groups[1].Value)).Distinct().Count();

    [GeneratedRegex(@"Leader is moving node \[([^\]]+)\] to \[Up\]")]
    private static partial Regex UpMember();

    public string Report(int logLines = 40)
    {
        var report = new StringBuilder("---- process cluster report ----\n");
        foreach (var node in _nodes)
        {
            report.AppendLine($"{node.Name} (clients :{node.Port}): {(node.IsRunning ? "running" : "exited")}");
            foreach (var line in node.Output.Split('\n').TakeLast(logLines))
            {
                report.Append("  | ").AppendLine(line.TrimEnd());
            }
        }

        return report.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        await _database.DisposeAsync();
    }
}
