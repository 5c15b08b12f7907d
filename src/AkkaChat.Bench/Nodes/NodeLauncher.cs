using System.Diagnostics;
using AkkaChat.Bench.Scenarios;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace AkkaChat.Bench.Nodes;

/// <summary>
/// A node process the bench starts for --start-node: <c>dotnet AkkaChat.Node.dll</c> on a free
/// loopback port with its own data directory and config file. The bench does not reference the
/// node; it runs the node built next to it in this repository
/// (<c>src/AkkaChat.Node/bin/&lt;Configuration&gt;/&lt;tfm&gt;/AkkaChat.Node.dll</c>), or the file the
/// AKKACHAT_NODE_ASSEMBLY environment variable names.
/// </summary>
public sealed class NodeLauncher : IAsyncDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);

    private readonly StringBuilder _output = new();
    private readonly Process _process;

    private NodeLauncher(Process process, int port, int? webPort, string dataDir)
    {
        _process = process;
        Port = port;
        WebPort = webPort;
        DataDir = dataDir;
    }

    public static string NodeAssembly { get; } = Environment.GetEnvironmentVariable("AKKACHAT_NODE_ASSEMBLY")
        ?? typeof(NodeLauncher).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "AkkaChat.NodeAssembly").Value!;

    public int Port { get; }

    /// <summary>The web port (WebSocket, media), when the node was started with one.</summary>
    public int? WebPort { get; }

    /// <summary>Where a client of <paramref name="transport"/> (tcp or ws) connects to this node.</summary>
    public string ServerFor(string transport) => transport == "ws"
        ? $"ws://127.0.0.1:{WebPort ?? throw new InvalidOperationException("the node was started without a web port")}"
        : $"127.0.0.1:{Port}";

    public string DataDir { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>What the node printed, for an error report.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts a node with <paramref name="hocon"/> layered over its defaults, in a fresh data
    /// directory, plus <paramref name="arguments"/> (--storage, --connection-string, ...), and waits
    /// until it accepts connections. With <paramref name="withWebPort"/> the node also serves its web
    /// port (WebSocket, media) on a free loopback port, and the start waits for it too; without, the
    /// web port is off, so it costs the measured node nothing.
    /// </summary>
    public static async Task<NodeLauncher> StartAsync(string hocon, IEnumerable<string> arguments, int? port = null, bool withWebPort = false)
    {
        if (!File.Exists(NodeAssembly))
        {
            throw new BenchSetupException($"the node is not built at {Path.GetFullPath(NodeAssembly)}: run `dotnet build src/AkkaChat.Node -c Release`, or set AKKACHAT_NODE_ASSEMBLY");
        }

        var dataDir = Directory.CreateTempSubdirectory("akkachat-bench-node-").FullName;
        var configFile = Path.Combine(dataDir, "node.conf");
        await File.WriteAllTextAsync(configFile, hocon);
        var listenPort = port ?? FreePort();
        int? webPort = withWebPort ? FreePort() : null;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[NodeAssembly, "--config", configFile, "--port", listenPort.ToString(), "--data-dir", Path.Combine(dataDir, "data"), "--set", "akkachat.listen.host = \"127.0.0.1\"", "--set", "akkachat.management.port = 0", "--set", "akkachat.web.host = \"127.0.0.1\"", "--set", $"akkachat.web.port = {webPort ?? 0}"])
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new BenchSetupException("could not start the node");
        var node = new NodeLauncher(process, listenPort, webPort, dataDir);
        process.OutputDataReceived += (_, e) => node.Append(e.Data);
        process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await node.WaitUntilAcceptingAsync(node.Port);
            if (webPort is { } web)
            {
                await node.WaitUntilAcceptingAsync(web);
            }
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }

        return node;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private async Task WaitUntilAcceptingAsync(int port)
    {
        var until = DateTime.UtcNow + StartDeadline;
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited)
            {
                throw new BenchSetupException($"the node exited with {_process.ExitCode} before accepting connections:\n{Output}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                // not listening yet: poll again shortly
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"the node did not accept connections on {port} within {StartDeadline.TotalSeconds:0} s:\n{Output}");
    }

    /// <summary>Kills the node (it holds nothing the bench needs) and deletes its data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // left for the OS to clean up
        }
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
