using System.Diagnostics;

namespace AkkaChat.TestKit;

/// <summary>
/// A PostgreSQL server of a fault drill's own, with its own data directory under /tmp and its own
/// port, from the Debian package's initdb and pg_ctl (as scripts/start-postgres.sh does), so a
/// drill can stop and start it. Never the shared server other tests use. Disposing stops it and
/// removes its directory.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;

    private PrivatePostgres(string bin, string dataDir, int port)
    {
        _bin = bin;
        DataDir = dataDir;
        Port = port;
    }

    public string DataDir { get; }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Database=akkachat;Username=akkachat;Timeout=5;Command Timeout=10";

    /// <summary>Creates the cluster directory, starts the server and creates the akkachat database.</summary>
    public static async Task<PrivatePostgres> StartNewAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderBy(b => b, StringComparer.Ordinal).LastOrDefault()
            ?? throw new InvalidOperationException("no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)");
        var server = new PrivatePostgres(bin, Path.Combine(Path.GetTempPath(), "akkachat-drill-pg-" + Guid.NewGuid().ToString("N")[..8]), NodeProcess.FreePort());
        Directory.CreateDirectory(server.DataDir);
        if (IsRoot)
        {
            await RunAsync("chown", "postgres:postgres", server.DataDir);
        }

        await RunAsync("chmod", "700", server.DataDir);
        await server.RunPgAsync("initdb", "-D", server.DataDir, "-U", "akkachat", "--auth=trust", "--encoding=UTF8");
        await server.StartAsync();
        await server.RunPgAsync("createdb", "-h", "127.0.0.1", "-p", server.Port.ToString(), "-U", "akkachat", "akkachat");
        return server;
    }

    public Task StartAsync() => RunPgAsync(
        "pg_ctl", "-D", DataDir, "-w", "-t", "60", "-l", Path.Combine(DataDir, "server.log"),
        "-o", $"-p {Port} -k {DataDir} -c listen_addresses=127.0.0.1 -c max_connections=100", "start");

    /// <summary>Stops the server at once (fast shutdown: open sessions are cut).</summary>
    public Task StopAsync() => RunPgAsync("pg_ctl", "-D", DataDir, "-w", "-t", "60", "-m", "fast", "stop");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }

        Directory.Delete(DataDir, recursive: true);
    }

    private static bool IsRoot => Environment.UserName == "root";

    private Task RunPgAsync(string tool, params string[] args) =>
        IsRoot
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args])
            : RunAsync(Path.Combine(_bin, tool), args);

    private static async Task RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await error}{await output}");
        }
    }
}
