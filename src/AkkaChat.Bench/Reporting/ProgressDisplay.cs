using System.Globalization;
using Spectre.Console;

namespace AkkaChat.Bench.Reporting;

/// <summary>One phase of a run on the progress display.</summary>
public interface IPhaseProgress
{
    void Update(double done, string detail);

    void Complete(string detail);
}

/// <summary>Starts phases on the progress display.</summary>
public interface IProgressSink
{
    IPhaseProgress Start(string name, double total);
}

/// <summary>
/// Shows a run's progress: Spectre.Console progress bars on a terminal, plain timestamped lines
/// (at most one a second per phase) when the output is redirected.
/// </summary>
public static class ProgressDisplay
{
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public static Task RunAsync(Func<IProgressSink, Task> body) => Interactive
        ? AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(context => body(new SpectreSink(context)))
        : body(new PlainSink());

    private sealed class SpectreSink(ProgressContext context) : IProgressSink
    {
        public IPhaseProgress Start(string name, double total) => new SpectrePhase(name, context.AddTask(Markup.Escape(name), maxValue: Math.Max(total, 1)));
    }

    private sealed class SpectrePhase(string name, ProgressTask task) : IPhaseProgress
    {
        public void Update(double done, string detail)
        {
            task.Value = Math.Min(done, task.MaxValue);
            task.Description = Markup.Escape($"{name}: {detail}");
        }

        public void Complete(string detail)
        {
            task.Description = Markup.Escape($"{name}: {detail}");
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }

    private sealed class PlainSink : IProgressSink
    {
        public IPhaseProgress Start(string name, double total) => new PlainPhase(name);
    }

    private sealed class PlainPhase(string name) : IPhaseProgress
    {
        private long _lastPrintMs = Environment.TickCount64;

        public void Update(double done, string detail)
        {
            var now = Environment.TickCount64;
            if (now - _lastPrintMs >= 1000)
            {
                _lastPrintMs = now;
                Print(detail);
            }
        }

        public void Complete(string detail) => Print(detail + " (done)");

        private void Print(string detail) =>
            Console.Out.WriteLine($"{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {name}: {detail}");
    }
}
