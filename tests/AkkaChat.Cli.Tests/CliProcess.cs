using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace AkkaChat.Cli.Tests;

/// <summary>What a finished <c>akkachat</c> run printed, and how it exited.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

/// <summary>
/// One <c>akkachat</c> process (the CLI built with these tests), with its own AKKACHAT_HOME. Output
/// is collected line by line; tests await lines and the exit with deadlines.
/// </summary>
public sealed class CliProcess : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static string Assembly { get; } = typeof(CliProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "AkkaChat.CliAssembly").Value!;

    private readonly Process _process;
    private readonly List<string> _stdout = new();
    private readonly List<string> _stderr = new();
    private readonly object _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(Process process)
    {
        _process = process;
    }

    public static CliProcess Start(string home, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Assembly);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["AKKACHAT_HOME"] = home;
        start.Environment.Remove("AKKACHAT_SERVER");
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start akkachat");
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) => cli.Append(cli._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => cli.Append(cli._stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Runs akkachat to its end (with standard input closed) and returns what it printed.</summary>
    public static async Task<CliResult> RunAsync(string home, params string[] args)
    {
        await using var cli = Start(home, args);
        cli.CloseInput();
        return await cli.WaitForExitAsync();
    }

    public string Stdout => Joined(_stdout);

    public string Stderr => Joined(_stderr);

    public void WriteLine(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>The first line on standard output (or error) that matches, waiting for it up to the deadline.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, string what, bool stderr = false, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Timeout);
        var exited = _process.WaitForExitAsync();
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if ((stderr ? _stderr : _stdout).FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                changed = _changed.Task;
            }

            if (exited.IsCompleted)
            {
                _process.WaitForExit(); // every line has been read
                lock (_gate)
                {
                    if ((stderr ? _stderr : _stdout).FirstOrDefault(match) is { } found)
                    {
                        return found;
                    }
                }

                throw new InvalidOperationException($"akkachat exited with {_process.ExitCode} and printed no line where {what}\n--- stdout\n{Stdout}--- stderr\n{Stderr}");
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"akkachat printed no line where {what}\n--- stdout\n{Stdout}--- stderr\n{Stderr}");
            }

            using var wait = new CancellationTokenSource(left);
            await Task.WhenAny(changed, exited, Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, wait.Token));
        }
    }

    public async Task<CliResult> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"akkachat did not exit within {timeout ?? Timeout}\n--- stdout\n{Stdout}--- stderr\n{Stderr}");
        }

        _process.WaitForExit(); // and the output readers are drained
        return new CliResult(_process.ExitCode, Stdout, Stderr);
    }

    private void Append(List<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        TaskCompletionSource changed;
        lock (_gate)
        {
            lines.Add(line);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    private string Joined(List<string> lines)
    {
        lock (_gate)
        {
            return string.Concat(lines.Select(l => l + "\n"));
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
