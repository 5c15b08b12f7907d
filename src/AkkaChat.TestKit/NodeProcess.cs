using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace AkkaChat.TestKit;

/// <summary>
/// A real AkkaChat node process on a free port and its own data directory. Its output is kept
/// so a failing test can show what the node logged. The node binary is the one built with this kit,
/// or the file named by the AKKACHAT_NODE_ASSEMBLY environment variable.
/// </summary>
public sealed class NodeProcess : IChatNode, IAsyncDisposable
{
    public static string NodeAssembly { get; } = Environment.GetEnvironmentVariable("AKKACHAT_NODE_ASSEMBLY")
        ?? typeof(NodeProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "AkkaChat.NodeAssembly").Value!;

    private readonly StringBuilder _output = new();
    private Process? _process;

    private NodeProcess(string name, string dataDir, string configFile, int port)
    {
        Name = name;
        DataDir = dataDir;
        ConfigFile = configFile;
        Port = port;
    }

    public string DataDir { get; }

    public string ConfigFile { get; }

    public int Port { get; private set; }

    /// <summary>The web port (WebSocket, media, web client), a free one like <see cref="Port"/>.</summary>
    public int WebPort { get; } = FreePort();

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

    public bool HasExited => _process?.HasExited ?? true;

    public bool IsRunning => !HasExited;

    /// <summary>A name for reports; the node's own name is set by its HOCON (akkachat.node-name).</summary>
    public string Name { get; }

    /// <summary>The operating system's id of the running node process (to read its memory, for instance).</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("the node process is not started");

    public int ExitCode => _process!.ExitCode;

    /// <summary>Starts a node with the given HOCON (layered over the defaults) and waits until it accepts clients.</summary>
    public static async Task<NodeProcess> StartAsync(string hocon = "", string? dataDir = null, string name = "node", int? port = null)
    {
        dataDir ??= Directory.CreateTempSubdirectory("akkachat-e2e-").FullName;
        var configFile = Path.Combine(dataDir, "node.conf");
        await File.WriteAllTextAsync(configFile, TestDefaults + hocon);
        var node = new NodeProcess(name, dataDir, configFile, port ?? FreePort());
        await node.StartAsync();
        return node;
    }

    /// <summary>Starts the process again on the same port, data and config (after a kill or stop).</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { NodeAssembly, "--config", ConfigFile, "--port", Port.ToString(), "--data-dir", Path.Combine(DataDir, "data"), "--set", "akkachat.listen.host = \"127.0.0.1\"",
            "--set", "akkachat.web.host = \"127.0.0.1\"", "--set", $"akkachat.web.port = {WebPort}", "--set", "akkachat.management.port = 0" })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the node");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilAcceptingAsync(TimeSpan.FromSeconds(60));
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>
    /// Completes once the port accepts and the node has printed its banner, which it prints only
    /// after every hosted service has started: a node that accepts but is still starting (web and
    /// management hosts) would treat a stop request as a stop during start.
    /// </summary>
    private async Task WaitUntilAcceptingAsync(TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        await WaitUntilListeningAsync(Port, deadline);
        var banner = $"listening on 127.0.0.1:{Port},";
        while (!Output.Contains(banner, StringComparison.Ordinal))
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"node exited with {_process.ExitCode} before it finished starting:\n{Output}");
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"node did not print its banner within {deadline}:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Completes once the web port (WebSocket, media, metrics) accepts connections; it opens just after the TCP listener.</summary>
    public Task WaitForWebPortAsync(TimeSpan? deadline = null) => WaitUntilListeningAsync(WebPort, deadline ?? TimeSpan.FromSeconds(30));

    private async Task WaitUntilListeningAsync(int port, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        while (DateTime.UtcNow < until)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"node exited with {_process.ExitCode} before accepting:\n{Output}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"node did not accept connections on {port} within {deadline}:\n{Output}");
    }

    /// <summary>kill -9: no shutdown hooks, no flushing.</summary>
    public async Task KillAsync()
    {
        _process!.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, and wait for the process to exit on its own.</summary>
    public async Task TerminateAsync(TimeSpan deadline)
    {
        using var kill = Process.Start("kill", ["-TERM", _process!.Id.ToString()]);
        await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(deadline);
        await _process.WaitForExitAsync(cts.Token);
    }

    public async Task RewriteConfigAsync(string hocon) =>
        await File.WriteAllTextAsync(ConfigFile, TestDefaults + hocon);

    /// <summary>A plain protocol client connected to this node.</summary>
    public Task<ProtocolClient> ConnectAsync() => ProtocolClient.ConnectAsync(Port);

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            await KillAsync();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // left for the OS to clean up
        }
    }

    /// <summary>
    /// What every test node runs with, before the test's own settings: codes revealed, and the
    /// AUTH_REQUEST_CODE limits lifted, since tests register many users from one address (the
    /// limits' own tests set them again).
    /// </summary>
    public const string TestDefaults = "akkachat.auth.reveal-codes = on\n" + "akkachat.registration.code-requests-per-phone-burst = 1000000\nakkachat.registration.code-requests-per-address-burst = 1000000\n";

    /// <summary>
    /// A loopback port nothing listens on, below the kernel's ephemeral range: a port the kernel
    /// handed out for binding to 0 may meanwhile become the source port of an outgoing connection
    /// (to PostgreSQL, between nodes), and the node then fails to bind it. Ports below that range
    /// are only ever taken by an explicit bind, so a port free now stays free for the node. Each
    /// call in a process moves on from the last one, starting at a random place.
    /// </summary>
    public static int FreePort()
    {
        var (first, last) = (10_000, EphemeralLow() - 1);
        var span = last - first + 1;
        for (var attempt = 0; attempt < span; attempt++)
        {
            var port = first + (int)((uint)Interlocked.Increment(ref _nextPort) % (uint)span);
            try
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (SocketException)
            {
                // taken: try the next one
            }
        }

        throw new InvalidOperationException($"no free loopback port in {first}-{last}");
    }

    private static int _nextPort = Random.Shared.Next(0, 1_000_000);

    /// <summary>The first port of the kernel's ephemeral range (Linux; 32768 where it cannot be read).</summary>
    private static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.TryParse(range[0], out var low) && low > 11_000 ? low : 32_768;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 32_768;
        }
    }
}
