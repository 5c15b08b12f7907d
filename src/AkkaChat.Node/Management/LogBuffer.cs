using Microsoft.Extensions.Logging;

namespace AkkaChat.Node.Management;

/// <summary>
/// The node's most recent log lines, for <c>log peek</c> and <c>log tail</c>: a ring buffer of
/// <c>akkachat.management.log-buffer-lines</c> lines; older lines are dropped. Tail subscribers get
/// each new line through a callback and must not block.
/// </summary>
public sealed class LogBuffer(int capacity)
{
    private readonly string[] _lines = new string[capacity];
    private readonly object _gate = new();
    private long _written;

    public event Action<string>? LineAdded;

    public void Add(string line)
    {
        lock (_gate)
        {
            _lines[_written % _lines.Length] = line;
            _written++;
        }

        LineAdded?.Invoke(line);
    }

    /// <summary>The last <paramref name="count"/> lines, oldest first.</summary>
    public IReadOnlyList<string> Last(int count)
    {
        lock (_gate)
        {
            var n = (int)Math.Min(Math.Min(count, _lines.Length), _written);
            var result = new string[n];
            for (var i = 0; i < n; i++)
            {
                result[i] = _lines[(_written - n + i) % _lines.Length];
            }

            return result;
        }
    }
}

/// <summary>Copies every log line of the node (Akka's included, through the logger factory) into a <see cref="LogBuffer"/>.</summary>
public sealed class LogBufferLoggerProvider(LogBuffer buffer) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(buffer, ShortCategory(categoryName));

    public void Dispose()
    {
    }

    private static string ShortCategory(string category) => category[(category.LastIndexOf('.') + 1)..];

    private sealed class Logger(LogBuffer buffer, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var text = formatter(state, exception);
            if (exception is not null)
            {
                text += $" ({exception.GetType().Name}: {exception.Message})";
            }

            buffer.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {Level(logLevel)} {category}: {text}");
        }

        private static string Level(LogLevel level) => level switch
        {
            LogLevel.Information => "INFO",
            LogLevel.Warning => "WARN",
            LogLevel.Error => "ERROR",
            LogLevel.Critical => "CRIT",
            _ => level.ToString().ToUpperInvariant(),
        };
    }
}
