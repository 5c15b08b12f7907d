using System.Text.RegularExpressions;
using Akka.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace AkkaChat.Node.Hosting;

/// <summary>
/// The node's console log: one line per event, <c>HH:mm:ss.fff level source: message</c>, one
/// timestamp. Two thresholds from <c>akkachat.log</c>: <c>level</c> for the node's own events (actors
/// under /user and AkkaChat.* loggers) and <c>akka-level</c> for Akka's internals (remoting, cluster,
/// sharding, IO). Per-connection events (actors /user/node/connections/c-N) are connection detail:
/// shown only when <c>level = debug</c>.
/// </summary>
public sealed partial class NodeLogging
{
    public const string FormatterName = "akkachat";

    private NodeLogging(LogLevel level, LogLevel akkaLevel)
    {
        Level = level;
        AkkaLevel = akkaLevel;
    }

    public LogLevel Level { get; }

    public LogLevel AkkaLevel { get; }

    /// <summary>Reads and validates akkachat.log; throws <see cref="ConfigurationException"/> naming a bad value.</summary>
    public static NodeLogging From(Config config) =>
        new(Parse(config, "akkachat.log.level"), Parse(config, "akkachat.log.akka-level"));

    /// <summary>
    /// akka.loglevel low enough for both thresholds (the filtering is done here, per source), and
    /// Akka's own stdout logger, which prints what comes after the host's logging has stopped, at the Akka threshold.
    /// </summary>
    public Config AkkaConfig() =>
        ConfigurationFactory.ParseString(
            $"akka.loglevel = {(Level == LogLevel.Debug || AkkaLevel == LogLevel.Debug ? "DEBUG" : "INFO")}\n" +
            $"akka.stdout-loglevel = {AkkaLevel switch { LogLevel.Debug => "DEBUG", LogLevel.Information => "INFO", LogLevel.Warning => "WARNING", _ => "ERROR" }}");

    public void Configure(ILoggingBuilder logging)
    {
        logging.AddFilter("Microsoft", LogLevel.Warning); // "Application started", content root, ...
        logging.AddConsole(o => o.FormatterName = FormatterName);
        logging.AddConsoleFormatter<Formatter, ConsoleFormatterOptions>();
        logging.Services.AddSingleton(this);
    }

    /// <summary>Whether an event is shown, and the source and text of its line (null: not shown).</summary>
    public (string Source, string Text)? Line(string category, LogLevel level, string message)
    {
        var match = AkkaPrefix().Match(message);
        if (!match.Success)
        {
            var ownCategory = category.StartsWith("AkkaChat", StringComparison.Ordinal);
            return level >= (ownCategory ? Level : AkkaLevel) ? (category[(category.LastIndexOf('.') + 1)..], message) : null;
        }

        var path = match.Groups["source"].Value;
        var text = message[match.Length..];
        var userPath = path.IndexOf("/user/", StringComparison.Ordinal);
        LogLevel threshold;
        if (userPath < 0)
        {
            threshold = AkkaLevel;
        }
        else
        {
            var isConnection = path.IndexOf("/user/node/connections/", StringComparison.Ordinal) >= 0;
            threshold = isConnection && level < LogLevel.Warning ? (Level == LogLevel.Debug ? LogLevel.Debug : LogLevel.None) : Level;
        }

        if (level < threshold)
        {
            return null;
        }

        var source = path.TrimEnd('/');
        source = source[(source.LastIndexOf('/') + 1)..];
        var space = source.IndexOf(' ');
        return (space > 0 ? source[..space] : source, text);
    }

    private static LogLevel Parse(Config config, string path) =>
        config.GetString(path, "info").Trim().ToLowerInvariant() switch
        {
            "debug" => LogLevel.Debug,
            "info" => LogLevel.Information,
            "warning" => LogLevel.Warning,
            "error" => LogLevel.Error,
            var other => throw new ConfigurationException($"{path} = '{other}': use debug, info, warning or error"),
        };

    // Akka's own formatting of an event: [INFO][12/02/2026 00:15:34.314Z][Thread 0001][source] text
    [GeneratedRegex(@"^\[(?<level>[A-Z]+)\]\[[^\]]*\]\[Thread [0-9]+\]\[(?<source>[^\]]*)\] ?")]
    private static partial Regex AkkaPrefix();

    private sealed class Formatter(NodeLogging logging) : ConsoleFormatter(FormatterName)
    {
        public override void Write<TState>(in LogEntry<TState> entry, IExternalScopeProvider? scopes, TextWriter writer)
        {
            var message = entry.Formatter(entry.State, entry.Exception);
            if (logging.Line(entry.Category, entry.LogLevel, message) is not var (source, text))
            {
                return; // nothing written: the console logger skips the event
            }

            var level = entry.LogLevel switch
            {
                LogLevel.Trace or LogLevel.Debug => "debug",
                LogLevel.Information => "info ",
                LogLevel.Warning => "warn ",
                _ => "error",
            };
            writer.Write($"{DateTime.Now:HH:mm:ss.fff} {level} {source}: {text}");
            if (entry.Exception is not null && !text.Contains(entry.Exception.Message, StringComparison.Ordinal))
            {
                writer.Write($" ({entry.Exception.GetType().Name}: {entry.Exception.Message})");
            }

            writer.WriteLine();
        }
    }
}
