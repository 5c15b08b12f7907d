using System.Text.RegularExpressions;
using AkkaChat.Bench.Scenarios;

namespace AkkaChat.Bench.Nodes;

/// <summary>
/// The node processes the bench starts for one run (or one step of a latency-ladder): one node,
/// or a cluster whose nodes all seed each other and share a PostgreSQL journal. Each starts with
/// <see cref="BenchNode.Hocon"/>, the storage of the options, and every --node-set line as --set.
/// </summary>
public sealed partial class BenchNodes : IAsyncDisposable
{
    /// <summary>The actor system name of the node (AkkaChatHostingExtensions.ActorSystemName), part of every seed address.</summary>
    private const string ActorSystemName = "akkachat";

    private static readonly TimeSpan ClusterUpDeadline = TimeSpan.FromSeconds(90);

    private readonly List<NodeLauncher> _nodes = [];

    public IReadOnlyList<NodeLauncher> Processes => _nodes;

    /// <summary>The settings every started node gets over its defaults (for the report).</summary>
    public string Hocon { get; private set; } = BenchNode.Hocon;

    /// <summary>Where a single node started for idle-connections writes its heap report (docs/performance.md).</summary>
    private string? _heapFile;

    /// <summary>tcp or ws: how the run's clients reach these nodes.</summary>
    private string _transport = "tcp";

    /// <summary>The nodes journal to SQLite (in their data directory).</summary>
    private bool _sqlite;

    public BenchNode Node => _nodes.Count == 1 && _transport == "tcp"
        ? new BenchNode("127.0.0.1", _nodes[0].Port, _nodes[0].ProcessId, StartedByBench: true, _heapFile)
        {
            WebPort = _nodes[0].WebPort,
            Log = () => _nodes[0].Output,
            JournalFile = _sqlite ? Path.Combine(_nodes[0].DataDir, "data", "akkachat.db") : null,
        }
        : new BenchNode("127.0.0.1", _nodes[0].Port, _nodes[0].ProcessId, StartedByBench: true, _heapFile)
        {
            WebPort = _nodes[0].WebPort,
            Servers = _nodes.Select(n => n.ServerFor(_transport)).ToArray(),
            ProcessIds = _nodes.Select(n => n.ProcessId).ToArray(),
        };

    public static async Task<BenchNodes> StartAsync(BenchOptions options)
    {
        var set = new BenchNodes { _transport = options.Transport, _sqlite = options.Storage == "sqlite" };
        var withWebPort = options.Transport == "ws" || options.Scenario == Load.ScenarioKind.Media;
        var storage = options.Storage == "postgresql"
            ? $"akkachat.storage.provider = postgresql\nakkachat.storage.connection-string = \"{options.ConnectionString!.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"\n"
            : string.Empty;
        var arguments = options.NodeSettings.SelectMany(line => new[] { "--set", line }).ToArray();
        try
        {
            if (options.Nodes == 1)
            {
                set._heapFile = Path.Combine(Path.GetTempPath(), $"akkachat-bench-heap-{Guid.NewGuid():N}");
                set.Hocon = BenchNode.HoconFor(options, set._heapFile) + "\n" + storage;
                set._nodes.Add(await NodeLauncher.StartAsync(set.Hocon, arguments, withWebPort: withWebPort));
                return set;
            }

            var remotePorts = Enumerable.Range(0, options.Nodes).Select(_ => NodeLauncher.FreePort()).ToList();
            var seeds = string.Join(", ", remotePorts.Select(p => $"\"akka.tcp://{ActorSystemName}@127.0.0.1:{p}\""));
            // AwaitClusterUpAsync reads the leader's "moving node ... to [Up]" lines, which Akka logs at info.
            set.Hocon = BenchNode.Hocon + "\n" + storage + $"akkachat.cluster.seed-nodes = [{seeds}]\nakkachat.log.akka-level = info\n";
            var starts = remotePorts.Select((remotePort, i) => NodeLauncher.StartAsync(
                set.Hocon + $"akkachat.node-name = \"node-{i + 1}\"\nakkachat.cluster.port = {remotePort}\n", arguments, withWebPort: withWebPort)).ToList();
            foreach (var start in starts)
            {
                try
                {
                    set._nodes.Add(await start);
                }
                catch
                {
                    await Task.WhenAll(starts.Where(s => s.IsCompletedSuccessfully && !set._nodes.Contains(s.Result)).Select(s => s.Result.DisposeAsync().AsTask()));
                    throw;
                }
            }

            await set.AwaitClusterUpAsync();
            return set;
        }
        catch
        {
            await set.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until the nodes' logs show every node moved to Up by the cluster's leader.</summary>
    private async Task AwaitClusterUpAsync()
    {
        var until = DateTime.UtcNow + ClusterUpDeadline;
        while (_nodes.SelectMany(n => UpMember().Matches(n.Output).Select(m => m.Groups[1].Value)).Distinct().Count() < _nodes.Count)
        {
            if (DateTime.UtcNow > until)
            {
                throw new BenchSetupException($"the {_nodes.Count} nodes did not form a cluster within {ClusterUpDeadline.TotalSeconds:0} s:\n"
                    + string.Join("\n", _nodes.Select(n => n.Output.Split('\n').TakeLast(10)).SelectMany(l => l)));
            }

            if (_nodes.FirstOrDefault(n => n.HasExited) is { } exited)
            {
                throw new BenchSetupException($"a node exited with {exited.ExitCode} while the cluster formed:\n{exited.Output}");
            }

            // polling the logs: the nodes report membership only there
            await Task.Delay(200);
        }
    }

    [GeneratedRegex(@"Leader is moving node \[([^\]]+)\] to \[Up\]")]
    private static partial Regex UpMember();

    /// <summary>What the nodes printed, for an error report.</summary>
    public string Output => string.Join("\n", _nodes.Select(n => n.Output));

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_nodes.Select(n => n.DisposeAsync().AsTask()));
        _nodes.Clear();
    }
}
