using System.Globalization;

namespace AkkaChat.Bench;

/// <summary>The node a run measures: its address and, when known, its process id.</summary>
public sealed record BenchNode(string Host, int Port, int? ProcessId, bool StartedByBench, string? HeapFile = null)
{
    /// <summary>
    /// Settings of a node started with --start-node, layered over the node's defaults: codes revealed
    /// so users can register without SMS and without the code-request limits, a send rate limit far above what the bench offers, an idle
    /// timeout longer than any run, and room for every connection one node process can hold.
    /// </summary>
    public const string Hocon = """
        akkachat.auth.reveal-codes = on
        akkachat.registration.code-requests-per-phone-burst = 1000000
        akkachat.registration.code-requests-per-address-burst = 1000000
        akkachat.rate-limit.send-per-second = 1000000
        akkachat.rate-limit.send-burst = 1000000
        akkachat.connection.idle-timeout = 1h
        akkachat.connection.max-connections = 19950
        akkachat.listen.backlog = 4096
        """;

    /// <summary>
    /// <see cref="Hocon"/> plus, for idle-connections, the diagnostic settings the measurement needs:
    /// the heap report file and the pipeline layer (docs/performance.md).
    /// </summary>
    public static string HoconFor(BenchOptions options, string heapFile)
    {
        if (options.Scenario is Load.ScenarioKind.Fuzz or Load.ScenarioKind.Soak)
        {
            // fuzz and soak read the heap after a full GC; fuzz also lets the fuzz accounts' user
            // actors passivate soon after, so what they legitimately hold is not counted as growth.
            return Hocon + $"\nakkachat.transport.diagnostic-heap-file = \"{heapFile}\"\n"
                + (options.Scenario == Load.ScenarioKind.Fuzz ? "akkachat.users.passivate-after = 5s\nakkachat.groups.passivate-after = 5s\nakkachat.keys.passivate-after = 5s\n" : string.Empty);
        }

        if (options.Scenario != Load.ScenarioKind.IdleConnections)
        {
            return Hocon;
        }

        var layer = options.Layer switch
        {
            Load.IdleConnectionsLayer.Stream => "stream",
            Load.IdleConnectionsLayer.Socket => "socket",
            _ => "full",
        };
        return Hocon + $"\nakkachat.transport.diagnostic-heap-file = \"{heapFile}\"\nakkachat.transport.diagnostic-layer = {layer}\n";
    }

    /// <summary>What a node the bench started has printed so far (its log); null for a node given by --server.</summary>
    public Func<string>? Log { get; init; }

    /// <summary>The SQLite journal file of a node the bench started with the sqlite storage; null otherwise.</summary>
    public string? JournalFile { get; init; }

    /// <summary>The web port (WebSocket, media) of a node the bench started with one.</summary>
    public int? WebPort { get; init; }

    public string Endpoint => Servers.Length > 0 ? string.Join(",", Servers) : $"{Host}:{Port}";

    /// <summary>Every node of a cluster as host:port (users are spread over them), empty for one node.</summary>
    public string[] Servers { get; init; } = [];

    /// <summary>The node processes whose CPU is measured: every node of a cluster, or the one node when its id is known.</summary>
    public IReadOnlyList<int> ProcessIds { get; init; } = ProcessId is { } pid ? [pid] : [];

    /// <summary>Parses one --server entry: <c>host:port</c>, <c>tcp://host:port</c> or <c>ws://host:port</c> (the SDK's server address).</summary>
    public static bool TryParseServer(string server, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        if (!Client.Transport.ServerAddress.TryParse(server, out var address)
            || address.Scheme is not (Client.Transport.ServerAddress.Tcp or Client.Transport.ServerAddress.WebSocket))
        {
            return false;
        }

        (host, port) = (address.Host, address.Port);
        return true;
    }
}
