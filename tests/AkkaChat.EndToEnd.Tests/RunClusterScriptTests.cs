using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AkkaChat.TestKit;

namespace AkkaChat.EndToEnd.Tests;

/// <summary>
/// scripts/run-cluster.sh's <c>status</c> and <c>restart N</c>, run as a user runs them, from the
/// repository root, on a private state directory (CLUSTER_DIR). The restart test starts node 1 on
/// its fixed ports (4701, 4711, 9111, 4781) on a fresh database of the test PostgreSQL; it never
/// runs <c>start</c> or <c>stop</c>, which start and stop a PostgreSQL of their own.
/// </summary>
[Trait("Category", "Slow")]
public sealed class RunClusterScriptTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4); // restart builds the node first, on a shared machine

    private readonly string _state = Directory.CreateTempSubdirectory("akkachat-cluster-").FullName;

    [Fact]
    public async Task Status_says_why_a_stopped_node_stopped_with_its_exit_status_and_last_log_line()
    {
        // What the wrapper leaves behind: node 1 killed by SIGKILL after the resolver downed it, node 2 exited with 1, node 3 never started.
        await File.WriteAllTextAsync(Path.Combine(_state, "node1.exit"), "137\n");
        await File.WriteAllTextAsync(Path.Combine(_state, "node1.log"), "08:00:00.000 info  listener: listening on 127.0.0.1:4701\n08:01:02.003 warn  cluster: this node was downed by the split brain resolver\n\n");
        await File.WriteAllTextAsync(Path.Combine(_state, "node2.exit"), "1\n");
        await File.WriteAllTextAsync(Path.Combine(_state, "node2.log"), "error: port 4702 is already in use\n");

        var (exit, output) = await RunAsync("status");

        Assert.True(exit == 0, output);
        Assert.Contains("node 1: stopped, exit status 137 (killed by signal 9: KILL)", output);
        Assert.Contains("  last log line: 08:01:02.003 warn  cluster: this node was downed by the split brain resolver", output);
        Assert.Contains("start it again: scripts/run-cluster.sh restart 1", output);
        Assert.Contains("node 2: stopped, exit status 1\n  last log line: error: port 4702 is already in use", output);
        Assert.Contains("node 3: stopped, never started", output);
    }

    [Fact]
    public async Task Restart_needs_a_node_number_and_a_cluster_started_before()
    {
        var (badNumber, output) = await RunAsync("restart", "7");
        Assert.Equal(2, badNumber);
        Assert.Contains("restart needs a node number: 1 2 3", output);

        var (neverStarted, output2) = await RunAsync("restart", "1");
        Assert.Equal(1, neverStarted);
        Assert.Contains("the cluster was never started here", output2);
    }

    [Fact]
    public async Task Restart_starts_a_killed_node_again_and_status_then_shows_it_running_and_after_a_kill_why_it_stopped()
    {
        foreach (var port in new[] { 4701, 4711, 9111, 4781 })
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port)); // fails loudly if the port is taken: node 1 could not start
        }

        await using var database = await PostgresDatabase.CreateAsync();
        await File.WriteAllTextAsync(Path.Combine(_state, "connection"), database.ConnectionString + "\n");
        try
        {
            var (exit, output) = await RunAsync("restart", "1");
            Assert.True(exit == 0, output);
            Assert.Contains("node 1 up again: clients on 127.0.0.1:4701", output);

            var pid = int.Parse((await File.ReadAllTextAsync(Path.Combine(_state, "node1.pid"))).Trim());
            var (_, running) = await RunAsync("status");
            Assert.Contains($"node 1: running (pid {pid})", running);

            Process.GetProcessById(pid).Kill();
            var exitFile = Path.Combine(_state, "node1.exit");
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (!File.Exists(exitFile) || (await File.ReadAllTextAsync(exitFile, deadline.Token)).Trim().Length == 0)
            {
                await Task.Delay(100, deadline.Token); // the wrapper writes the exit status once the node is gone
            }

            var (_, stopped) = await RunAsync("status");
            Assert.Contains("node 1: stopped, exit status 137 (killed by signal 9: KILL)", stopped);
            Assert.Contains("  last log line: ", stopped);

            var (again, restarted) = await RunAsync("restart", "1");
            Assert.True(again == 0, restarted);
            var (_, runningAgain) = await RunAsync("status");
            Assert.Contains("node 1: running", runningAgain);
        }
        finally
        {
            var pidFile = Path.Combine(_state, "node1.pid");
            if (File.Exists(pidFile) && int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), out var pid))
            {
                try
                {
                    using var node = Process.GetProcessById(pid);
                    node.Kill();
                    await node.WaitForExitAsync();
                }
                catch (ArgumentException)
                {
                    // already gone
                }
            }
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_state, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("scripts/run-cluster.sh");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["CLUSTER_DIR"] = _state;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"run-cluster.sh {string.Join(' ', args)} did not finish:\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "AkkaChat.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("no AkkaChat.sln above " + AppContext.BaseDirectory);
        }
    }
}
