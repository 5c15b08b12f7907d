using System.CommandLine;
using AkkaChat.Client;
using Spectre.Console;

namespace AkkaChat.Cli.Commands;

/// <summary>
/// What the long-running commands that print events (listen-like: presence watch, status feed)
/// share: <c>--count</c>, <c>--timeout</c> and <c>--json</c>, the session mark, the login, the
/// reconnect notices, and the loop that ends after N counted events or the timeout.
/// </summary>
public sealed class EventCommand
{
    private readonly Option<int?> _count;
    private readonly Option<TimeSpan?> _timeout = DurationOption.Create("--timeout", "Exit after this long (e.g. 30s, 5m)");
    private readonly Option<bool> _json = new("--json") { Description = "Print one JSON object per line" };

    public EventCommand(string counted) =>
        _count = new Option<int?>("--count") { Description = $"Exit after this many {counted}", HelpName = "n" };

    /// <summary>Adds --as, --count, --timeout and --json to <paramref name="command"/>.</summary>
    public void AddOptionsTo(Command command)
    {
        command.Options.Add(CommonOptions.As);
        command.Options.Add(_count);
        command.Options.Add(_timeout);
        command.Options.Add(_json);
    }

    public bool Json(ParseResult parse) => parse.GetValue(_json);

    /// <summary>
    /// Logs in, runs <paramref name="start"/> (subscribe...), then prints events with
    /// <paramref name="print"/> (true for those --count counts) until the count, the timeout or Ctrl+C.
    /// Reaching the timeout before the count is an error.
    /// </summary>
    public async Task<int> RunAsync(
        ParseResult parse, Invocation invocation, string name, string counted,
        Func<ChatSession, CancellationToken, Task> start, Func<ChatEvent, bool, bool> print, CancellationToken ct)
    {
        var limit = parse.GetValue(_count);
        if (limit is <= 0)
        {
            throw new CliException("--count must be at least 1", ExitCodes.Usage);
        }

        var duration = parse.GetValue(_timeout);
        var asJson = parse.GetValue(_json);
        var store = CredentialStore.FromEnvironment();
        var user = store.Load(parse.GetValue(CommonOptions.As));
        var marks = new SessionMarks(store.Home);
        if (marks.Live(user.Phone) is { } live)
        {
            Output.Notice($"warning: {user.Phone} is logged in by '{live.Command.EscapeMarkup()}' (pid {live.Pid}); this {name} ends that session (one session per user)");
        }

        using var mark = marks.Claim(user.Phone, $"akkachat {name}");
        var session = await invocation.LoginAsync(user, parse.GetValue(CommonOptions.Server), ct);
        await using var _ = session;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (duration is { } d)
        {
            deadline.CancelAfter(d);
        }

        var seen = 0;
        try
        {
            session.StateChanged += (state, server) =>
            {
                if (state == ConnectionState.Reconnecting)
                {
                    Output.Notice($"connection to {server.ToString().EscapeMarkup()} lost; reconnecting…");
                }
                else if (state == ConnectionState.Ready)
                {
                    Output.Notice($"connected again, to {session.Server.ToString().EscapeMarkup()}");
                }
            };

            // Events are read from before the start: its answers (PRESENCE) may come at once.
            var printing = Task.Run(async () =>
            {
                await foreach (var e in session.ReadEventsAsync(deadline.Token))
                {
                    if (print(e, asJson))
                    {
                        seen++;
                    }

                    if (seen == limit)
                    {
                        break; // ending the loop acknowledges this last item too
                    }
                }
            }, deadline.Token);
            await start(session, deadline.Token);
            Output.Notice($"{name} as {user.Phone} on {session.Server.ToString().EscapeMarkup()}; Ctrl+C to stop");
            await printing;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && limit is { } expected && seen < expected)
        {
            throw new CliException($"timed out after {Durations.Format(duration!.Value)} with {seen} of {expected} {counted}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // --timeout without --count: the normal end
        }

        return ExitCodes.Ok;
    }
}
