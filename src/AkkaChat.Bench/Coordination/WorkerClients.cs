using System.Diagnostics;
using System.Text;
using System.Text.Json;
using AkkaChat.Bench.Load;

namespace AkkaChat.Bench.Coordination;

/// <summary>The coordinator's handle on one worker, in this process or in a child process.</summary>
public interface IWorkerClient : IAsyncDisposable
{
    /// <summary>The worker's counters as last heard of.</summary>
    WorkerProgress Progress { get; }

    /// <summary>The process the worker's connections live in.</summary>
    int ProcessId { get; }

    Task<WorkerReport> SetupAsync(WorkerPlan plan, CancellationToken cancellationToken);

    Task<WorkerReport> RunAsync(CancellationToken cancellationToken);
}

/// <summary>A worker running inside the bench process (--workers 0 or 1).</summary>
public sealed class InProcessWorkerClient : IWorkerClient
{
    private readonly Worker _worker = new();

    public WorkerProgress Progress => _worker.Progress;

    public int ProcessId => Environment.ProcessId;

    public Task<WorkerReport> SetupAsync(WorkerPlan plan, CancellationToken cancellationToken) => _worker.SetupAsync(plan, cancellationToken);

    public Task<WorkerReport> RunAsync(CancellationToken cancellationToken) => _worker.RunAsync(cancellationToken);

    public ValueTask DisposeAsync() => _worker.DisposeAsync();
}

/// <summary>A worker failed, or its process ended before answering.</summary>
public sealed class WorkerFailedException(string message) : Exception(message);

/// <summary>
/// A worker in a child process: this program started again as <c>akkachat-bench worker</c>, each
/// command and answer one line of JSON on the child's stdin and stdout (see <see cref="WorkerHost"/>).
/// The child's stderr is kept (its last lines) to explain a failure.
/// </summary>
public sealed class ChildProcessWorkerClient : IWorkerClient
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly int _index;
    private readonly Process _process;
    private readonly Task _reading;
    private readonly Queue<string> _stderrTail = new();
    private volatile WorkerProgress _progress = new();
    private TaskCompletionSource<WorkerMessage>? _answer;

    private ChildProcessWorkerClient(int index, Process process)
    {
        _index = index;
        _process = process;
        _process.ErrorDataReceived += (_, e) => KeepStderr(e.Data);
        _process.BeginErrorReadLine();
        _reading = Task.Run(ReadAsync);
    }

    public WorkerProgress Progress => _progress;

    public int ProcessId => _process.Id;

    public static ChildProcessWorkerClient Start(int index)
    {
        var start = SelfStartInfo();
        start.ArgumentList.Add("worker");
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.StandardOutputEncoding = Encoding.UTF8;
        start.StandardInputEncoding = new UTF8Encoding(false);
        var process = Process.Start(start) ?? throw new WorkerFailedException($"could not start worker {index}");
        process.StandardInput.AutoFlush = true;
        return new ChildProcessWorkerClient(index, process);
    }

    /// <summary>How to start this program again: its apphost, or the dotnet host with its assembly.</summary>
    private static ProcessStartInfo SelfStartInfo()
    {
        var processPath = Environment.ProcessPath ?? "dotnet";
        var assembly = typeof(WorkerHost).Assembly.Location;
        if (Path.GetFileNameWithoutExtension(processPath) == Path.GetFileNameWithoutExtension(assembly))
        {
            return new ProcessStartInfo(processPath);
        }

        var host = Path.GetFileNameWithoutExtension(processPath) == "dotnet"
            ? processPath
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(host);
        start.ArgumentList.Add(assembly);
        return start;
    }

    public Task<WorkerReport> SetupAsync(WorkerPlan plan, CancellationToken cancellationToken) =>
        RequestAsync(new WorkerMessage { Type = WorkerMessage.Setup, Plan = plan }, WorkerMessage.Ready, cancellationToken);

    public Task<WorkerReport> RunAsync(CancellationToken cancellationToken) =>
        RequestAsync(new WorkerMessage { Type = WorkerMessage.Run }, WorkerMessage.Result, cancellationToken);

    private async Task<WorkerReport> RequestAsync(WorkerMessage command, string answerType, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<WorkerMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _answer, answer);
        await _process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(command, BenchJson.Line).AsMemory(), cancellationToken);
        var message = await answer.Task.WaitAsync(cancellationToken);
        if (message.Type == WorkerMessage.Failed)
        {
            throw new WorkerFailedException($"worker {_index} failed: {message.Error}");
        }

        if (message.Type != answerType || message.Report is null)
        {
            throw new WorkerFailedException($"worker {_index} answered {message.Type} to {command.Type}");
        }

        return message.Report;
    }

    private async Task ReadAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                var message = JsonSerializer.Deserialize<WorkerMessage>(line, BenchJson.Line);
                if (message is null)
                {
                    continue;
                }

                if (message.Type == WorkerMessage.ProgressType)
                {
                    _progress = message.Progress ?? _progress;
                    continue;
                }

                Volatile.Read(ref _answer)?.TrySetResult(message);
            }
        }
        catch (JsonException e)
        {
            Volatile.Read(ref _answer)?.TrySetException(new WorkerFailedException($"worker {_index} wrote something that is not a message: {e.Message}"));
            return;
        }

        await _process.WaitForExitAsync();
        Volatile.Read(ref _answer)?.TrySetException(new WorkerFailedException(
            $"worker {_index} exited with code {_process.ExitCode}:\n{StderrTail()}"));
    }

    private void KeepStderr(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_stderrTail)
        {
            _stderrTail.Enqueue(line);
            while (_stderrTail.Count > 40)
            {
                _stderrTail.Dequeue();
            }
        }
    }

    private string StderrTail()
    {
        lock (_stderrTail)
        {
            return string.Join('\n', _stderrTail);
        }
    }

    /// <summary>Tells the worker to close its connections and exit; kills it when it does not within 30 s.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                var stopped = new TaskCompletionSource<WorkerMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _answer, stopped);
                await _process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new WorkerMessage { Type = WorkerMessage.Stop }, BenchJson.Line));
                _process.StandardInput.Close();
                using var deadline = new CancellationTokenSource(StopTimeout);
                await _process.WaitForExitAsync(deadline.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        await _reading;
        _process.Dispose();
    }
}
