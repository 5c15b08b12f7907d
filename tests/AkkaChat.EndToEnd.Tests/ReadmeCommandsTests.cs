using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace AkkaChat.EndToEnd.Tests;

/// <summary>
/// The commands of README.md, parsed out of it and run exactly as printed, from the repository
/// root, the way a new user copies them: the quick start's node, the development node, and the
/// two-terminal CLI walkthrough. If the README changes, these run what it says now.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ReadmeCommandsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(8); // dotnet run and dotnet build compile first, on a shared machine

    private static readonly string Root = FindRoot();

    private static readonly IReadOnlyList<string[]> Blocks = ShellBlocks(File.ReadAllText(Path.Combine(Root, "README.md")));

    [Fact]
    public async Task The_quick_start_node_starts_from_the_repository_root_and_keeps_its_data_in_dot_data()
    {
        var command = Command(b => b.Any(l => l.StartsWith("dotnet run --project src/AkkaChat.Node", StringComparison.Ordinal) && !l.Contains("--config")), "dotnet run --project src/AkkaChat.Node");
        AssertPortFree(4700);
        var inProjectFolder = Path.Combine(Root, "src", "AkkaChat.Node", "data", "akkachat.db");
        var strayBefore = File.Exists(inProjectFolder) ? File.GetLastWriteTimeUtc(inProjectFolder) : (DateTime?)null;

        await using var node = ShellProcess.Start(command);
        var banner = await node.WaitForAsync(l => l.Contains("listening on"), "the node's banner", Deadline);

        Assert.Contains("listening on 0.0.0.0:4700", banner);
        Assert.Contains($"data in {Path.Combine(Root, "data", "akkachat.db")}", banner);
        Assert.True(File.Exists(Path.Combine(Root, "data", "akkachat.db")));
        Assert.True(
            File.Exists(inProjectFolder) ? File.GetLastWriteTimeUtc(inProjectFolder) == strayBefore : strayBefore is null,
            "the node wrote its data into the project folder");
        Assert.DoesNotContain("dev mode", node.Output);
    }

    [Fact]
    public async Task The_dev_node_and_the_two_terminal_walkthrough_work_as_printed()
    {
        var devCommand = Command(b => b.Any(l => l.Contains("--config hocon/dev.conf")), "--config hocon/dev.conf");
        var walkthrough = Blocks.Single(b => b.Any(l => l.StartsWith("alias akkachat=", StringComparison.Ordinal)));
        AssertPortFree(4700);

        await using var node = ShellProcess.Start(devCommand);
        await node.WaitForAsync(l => l.Contains("listening on 0.0.0.0:4700"), "the dev node's banner", Deadline);
        await node.WaitForAsync(l => l.Contains("dev mode: registration codes are revealed"), "the dev-mode line", Deadline);

        // The block: shared lines (build, alias), then two columns, terminal 2 (Alice) and terminal 3 (Bob).
        var shared = walkthrough.TakeWhile(l => !l.StartsWith('#')).Where(l => l.Length > 0).ToArray();
        var columns = walkthrough.SkipWhile(l => !l.StartsWith('#')).Skip(1)
            .Select(l => System.Text.RegularExpressions.Regex.Split(l.Trim(), @"\s{2,}"))
            .Where(c => c.Length == 2).ToArray();
        string[] Column(int i) => columns.Select(c => c[i]).ToArray();
        var (alice, bob) = (Column(0), Column(1));
        Assert.Equal(3, alice.Length); // export, register, chat
        Assert.Equal(3, bob.Length);
        foreach (var home in new[] { "/tmp/alice", "/tmp/bob" })
        {
            if (Directory.Exists(home))
            {
                Directory.Delete(home, recursive: true); // a fresh start, as the walkthrough assumes
            }
        }

        var aliceSetup = await ShellProcess.RunAsync(Script(shared, alice[..^1]), Deadline);
        var bobSetup = await ShellProcess.RunAsync(Script(shared, bob[..^1]), Deadline);
        Assert.True(aliceSetup.ExitCode == 0, aliceSetup.ToString());
        Assert.True(bobSetup.ExitCode == 0, bobSetup.ToString());
        Assert.Contains("registered +15550001", aliceSetup.Output);
        Assert.Contains("registered +15550002", bobSetup.Output);

        // Alice types a line and leaves (end of input); Bob's chat shows it.
        await using var aliceChat = ShellProcess.Start(Script(shared.Where(l => l.StartsWith("alias")).ToArray(), [alice[0], alice[^1]]));
        await aliceChat.WaitForAsync(l => l.StartsWith("chatting with +15550002"), "alice's chat is logged in", Deadline);
        aliceChat.Type("hello from the readme");
        aliceChat.CloseInput();
        await aliceChat.WaitForAsync(l => l.Contains("you: hello from the readme  ✓"), "alice's line is stored", Deadline);
        Assert.Equal(0, await aliceChat.WaitForExitAsync(Deadline));

        await using var bobChat = ShellProcess.Start(Script(shared.Where(l => l.StartsWith("alias")).ToArray(), [bob[0], bob[^1]]));
        await bobChat.WaitForAsync(l => l.EndsWith("+15550001: hello from the readme", StringComparison.Ordinal), "bob's chat shows alice's line", Deadline);
        bobChat.CloseInput();
        Assert.Equal(0, await bobChat.WaitForExitAsync(Deadline));
    }

    /// <summary>A bash script running <paramref name="lines"/> in order from the repository root, aliases on, stopping at the first failure.</summary>
    private static string Script(string[] shared, string[] lines) =>
        "shopt -s expand_aliases\nset -e\n" + string.Join("\n", shared.Concat(lines)) + "\n";

    private static string Command(Func<string[], bool> block, string what)
    {
        var found = Blocks.FirstOrDefault(block) ?? throw new InvalidOperationException($"README.md has no command block with {what}");
        var line = found.First(l => l.StartsWith("dotnet run --project src/AkkaChat.Node", StringComparison.Ordinal));
        var comment = line.IndexOf(" #", StringComparison.Ordinal);
        return comment > 0 ? line[..comment].TrimEnd() : line;
    }

    /// <summary>The lines of every ```sh block of a markdown text.</summary>
    private static List<string[]> ShellBlocks(string markdown)
    {
        var blocks = new List<string[]>();
        List<string>? current = null;
        foreach (var line in markdown.Split('\n'))
        {
            if (current is null && line.TrimEnd() == "```sh")
            {
                current = new List<string>();
            }
            else if (current is not null && line.TrimEnd() == "```")
            {
                blocks.Add(current.ToArray());
                current = null;
            }
            else
            {
                current?.Add(line.TrimEnd());
            }
        }

        return blocks;
    }

    private static void AssertPortFree(int port)
    {
        try
        {
            using var probe = new TcpClient();
            probe.Connect("127.0.0.1", port);
        }
        catch (SocketException)
        {
            return;
        }

        Assert.Fail($"port {port}, the README's port, is taken by another process: these tests run the README's commands as printed and need it");
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AkkaChat.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("the repository root (AkkaChat.sln) is not above the test binaries");
    }

    /// <summary>One bash process started in the repository root, its output kept line by line (standard output and error together).</summary>
    private sealed class ShellProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly List<string> _lines = new();

        private ShellProcess(Process process)
        {
            _process = process;
        }

        public string Output
        {
            get
            {
                lock (_lines)
                {
                    return string.Join("\n", _lines);
                }
            }
        }

        public static ShellProcess Start(string script)
        {
            var start = new ProcessStartInfo("bash")
            {
                WorkingDirectory = Root,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                StandardOutputEncoding = Encoding.UTF8,
                StandardErrorEncoding = Encoding.UTF8,
            };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(script);
            start.Environment["PWD"] = Root;
            start.Environment.Remove("AKKACHAT_SERVER");
            start.Environment.Remove("AKKACHAT_HOME");
            var shell = new ShellProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start bash"));
            shell._process.OutputDataReceived += (_, e) => shell.Append(e.Data);
            shell._process.ErrorDataReceived += (_, e) => shell.Append(e.Data);
            shell._process.BeginOutputReadLine();
            shell._process.BeginErrorReadLine();
            return shell;
        }

        public static async Task<(int ExitCode, string Output)> RunAsync(string script, TimeSpan deadline)
        {
            await using var shell = Start(script);
            shell.CloseInput();
            var code = await shell.WaitForExitAsync(deadline);
            return (code, shell.Output);
        }

        public void Type(string line)
        {
            _process.StandardInput.WriteLine(line);
            _process.StandardInput.Flush();
        }

        public void CloseInput() => _process.StandardInput.Close();

        public async Task<string> WaitForAsync(Func<string, bool> match, string what, TimeSpan deadline)
        {
            var until = DateTime.UtcNow + deadline;
            while (true)
            {
                lock (_lines)
                {
                    if (_lines.FirstOrDefault(match) is { } found)
                    {
                        return found;
                    }
                }

                if (_process.HasExited && _process.WaitForExit(1000))
                {
                    lock (_lines)
                    {
                        if (_lines.FirstOrDefault(match) is { } found)
                        {
                            return found;
                        }
                    }

                    throw new InvalidOperationException($"the command exited with {_process.ExitCode} before {what}:\n{Output}");
                }

                if (DateTime.UtcNow > until)
                {
                    throw new TimeoutException($"no {what} within {deadline}:\n{Output}");
                }

                await Task.Delay(100); // polling the collected output; the wait has a deadline
            }
        }

        public async Task<int> WaitForExitAsync(TimeSpan deadline)
        {
            using var cts = new CancellationTokenSource(deadline);
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the command did not exit within {deadline}:\n{Output}");
            }

            _process.WaitForExit();
            return _process.ExitCode;
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (_lines)
                {
                    _lines.Add(line);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }
    }
}
