using System.CommandLine;
using System.Globalization;
using AkkaChat.Conformance.Checks;
using AkkaChat.Conformance.Serve;

namespace AkkaChat.Conformance;

/// <summary>
/// <c>akkachat-conformance HOST:PORT [options]</c> checks a server; <c>akkachat-conformance serve</c>
/// runs a misbehaving server for client authors. Exit codes: 0 all checks passed, 1 a check failed,
/// 2 bad usage.
/// </summary>
public static class ConformanceCli
{
    public const int Ok = 0;
    public const int ChecksFailed = 1;
    public const int Usage = 2;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken ct)
    {
        var target = new Argument<string>("server") { Description = "HOST:PORT of the server's TCP transport" };
        var webPort = new Option<int?>("--web-port") { Description = "HTTP and WebSocket port (default 4780, as PROTOCOL.md)", HelpName = "n" };
        var only = new Option<string?>("--only") { Description = $"Run only these areas, comma separated: {string.Join(",", Catalog.Areas)}", HelpName = "area[,area]" };
        var junit = new Option<string?>("--junit") { Description = "Write JUnit XML here", HelpName = "file" };
        var codeFile = new Option<string?>("--code-from-file") { Description = "Read registration codes from this file (the test SMS sender's output): the newest line naming the phone and a 6-digit code", HelpName = "file" };
        var codeCommand = new Option<string?>("--code-command") { Description = "Run this shell command for each code; the phone is $1 and $AKKACHAT_PHONE, stdout holds the code", HelpName = "cmd" };
        var idle = new Option<string?>("--idle-timeout") { Description = "The server's idle timeout (default 5m, as PROTOCOL.md); errors/silent_connection_* waits this long", HelpName = "duration" };
        var maxConnections = new Option<int?>("--max-connections") { Description = "The server's connection limit; enables errors/connection_over_the_limit_*", HelpName = "n" };
        var rateProbe = new Option<int?>("--rate-limit-probe") { Description = "SENDs written back to back to reach the rate limit (default 2000)", HelpName = "n" };
        var retention = new Option<string?>("--retention-max-age") { Description = "The server's retention max-age, if short; enables retention/unacknowledged_item_*", HelpName = "duration" };
        var timeout = new Option<string?>("--timeout") { Description = "Deadline of one answer (default 10s); a check's deadline is three times that", HelpName = "duration" };
        var list = new Option<bool>("--list") { Description = "List the checks and exit" };

        var root = new RootCommand("akkachat-conformance: holds an AkkaChat server to PROTOCOL.md, one named check per rule")
        {
            target, webPort, only, junit, codeFile, codeCommand, idle, maxConnections, rateProbe, retention, timeout, list,
        };
        root.SetAction(async (parse, token) =>
        {
            var areas = (parse.GetValue(only) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            IReadOnlyList<Check> checks;
            try
            {
                checks = Catalog.Select(areas);
            }
            catch (ArgumentException e)
            {
                await error.WriteLineAsync(e.Message);
                return Usage;
            }

            if (parse.GetValue(list))
            {
                foreach (var check in checks)
                {
                    await output.WriteLineAsync($"{check.Id} - {check.Rule}");
                }

                return Ok;
            }

            var server = parse.GetValue(target)!;
            var colon = server.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(server[(colon + 1)..], out var port) || port is < 1 or > 65535)
            {
                await error.WriteLineAsync($"'{server}' is not HOST:PORT");
                return Usage;
            }

            KitOptions options;
            try
            {
                var answer = Duration(parse.GetValue(timeout)) ?? TimeSpan.FromSeconds(10);
                options = new KitOptions
                {
                    Host = server[..colon],
                    Port = port,
                    WebPort = parse.GetValue(webPort) ?? 4780,
                    AnswerTimeout = answer,
                    CheckTimeout = answer * 3,
                    IdleTimeout = Duration(parse.GetValue(idle)) ?? TimeSpan.FromMinutes(5),
                    MaxConnections = parse.GetValue(maxConnections),
                    RateLimitProbe = parse.GetValue(rateProbe) ?? 2000,
                    RetentionMaxAge = Duration(parse.GetValue(retention)),
                    Codes = parse.GetValue(codeFile) is { } file ? CodeSource.FromFile(file)
                        : parse.GetValue(codeCommand) is { } command ? CodeSource.FromCommand(command)
                        : CodeSource.DevCode,
                };
            }
            catch (FormatException e)
            {
                await error.WriteLineAsync(e.Message);
                return Usage;
            }

            var results = await new CheckRunner(options, output).RunAsync(checks);
            await output.WriteLineAsync(CheckRunner.Summary(results));
            if (parse.GetValue(junit) is { } path)
            {
                JUnitReport.Build(results, server).Save(path);
            }

            return results.Any(r => r.Verdict == Verdict.Failed) ? ChecksFailed : Ok;
        });

        root.Subcommands.Add(ServeCommand.Create(output));
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await error.WriteLineAsync($"{string.Join(" ", parsed.Errors.Select(e => e.Message))} (see 'akkachat-conformance --help')");
            return Usage;
        }

        return await parsed.InvokeAsync(cancellationToken: ct);
    }

    /// <summary>"500ms", "3s", "5m", "2h", "30d", or plain seconds.</summary>
    public static TimeSpan? Duration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        text = text.Trim();
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text[^1] switch
            {
                's' => (text[..^1], 1.0),
                'm' => (text[..^1], 60.0),
                'h' => (text[..^1], 3600.0),
                'd' => (text[..^1], 86400.0),
                _ => (text, 1.0),
            };
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? TimeSpan.FromSeconds(value * unit)
            : throw new FormatException($"'{text}' is not a duration (500ms, 3s, 5m, 2h, 30d)");
    }
}
