using System.Text;
using System.Text.Json;
using AkkaChat.Bench.Load;

namespace AkkaChat.Bench.Coordination;

/// <summary>
/// The child side of <c>akkachat-bench worker</c>: reads one JSON command per line on stdin
/// (setup, run, stop), answers on stdout (ready, result, stopped, or failed), and reports progress
/// every half second in between. Stdout carries nothing else. The worker exits when told to stop or
/// when stdin closes (the coordinator is gone).
/// </summary>
public static class WorkerHost
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromMilliseconds(500);

    public static async Task<int> RunAsync(TextReader input, Stream output, CancellationToken cancellationToken)
    {
        var writer = new StreamWriter(output, new UTF8Encoding(false)) { AutoFlush = true };
        var writeLock = new SemaphoreSlim(1, 1);
        async Task SendAsync(WorkerMessage message)
        {
            var line = JsonSerializer.Serialize(message, BenchJson.Line);
            await writeLock.WaitAsync(CancellationToken.None);
            try
            {
                await writer.WriteLineAsync(line);
            }
            finally
            {
                writeLock.Release();
            }
        }

        await using var worker = new Worker();
        using var stopProgress = new CancellationTokenSource();
        var progress = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(ProgressEvery);
            try
            {
                while (await timer.WaitForNextTickAsync(stopProgress.Token))
                {
                    await SendAsync(new WorkerMessage { Type = WorkerMessage.ProgressType, Progress = worker.Progress });
                }
            }
            catch (OperationCanceledException)
            {
                // stopped
            }
        }, CancellationToken.None);

        try
        {
            while (await input.ReadLineAsync(cancellationToken) is { } line)
            {
                var command = JsonSerializer.Deserialize<WorkerMessage>(line, BenchJson.Line)
                    ?? throw new InvalidDataException("empty command");
                switch (command.Type)
                {
                    case WorkerMessage.Setup:
                        var ready = await worker.SetupAsync(command.Plan ?? throw new InvalidDataException("setup without a plan"), cancellationToken);
                        await SendAsync(new WorkerMessage { Type = WorkerMessage.ProgressType, Progress = worker.Progress }); // final counters first
                        await SendAsync(new WorkerMessage { Type = WorkerMessage.Ready, Report = ready });
                        break;
                    case WorkerMessage.Run:
                        var result = await worker.RunAsync(cancellationToken);
                        await SendAsync(new WorkerMessage { Type = WorkerMessage.ProgressType, Progress = worker.Progress });
                        await SendAsync(new WorkerMessage { Type = WorkerMessage.Result, Report = result });
                        break;
                    case WorkerMessage.Stop:
                        await stopProgress.CancelAsync();
                        await progress;
                        await worker.DisposeAsync();
                        await SendAsync(new WorkerMessage { Type = WorkerMessage.Stopped });
                        return 0;
                    default:
                        throw new InvalidDataException($"unknown command '{command.Type}'");
                }
            }

            return 0;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await SendAsync(new WorkerMessage { Type = WorkerMessage.Failed, Error = e.ToString() });
            return 1;
        }
        finally
        {
            await stopProgress.CancelAsync();
            await progress;
        }
    }
}
