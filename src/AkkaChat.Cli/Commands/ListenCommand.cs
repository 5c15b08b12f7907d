using System.CommandLine;
using System.Text.Json;
using AkkaChat.Client;
using AkkaChat.Protocol;
using Spectre.Console;

namespace AkkaChat.Cli.Commands;

/// <summary>
/// <c>akkachat listen [--as PHONE] [--count N] [--timeout D] [--json]</c>: prints incoming messages and
/// receipts (and group changes and statuses) as they arrive, until Ctrl+C, N messages and receipts, or the timeout. Each is acknowledged once
/// printed, so the node then deletes it (and a message's sender gets its DELIVERED receipt).
/// With <c>--count</c> and <c>--timeout</c> together, reaching the timeout first is an error.
/// </summary>
public static class ListenCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Command Create()
    {
        var count = new Option<int?>("--count") { Description = "Exit after this many messages and receipts", HelpName = "n" };
        var timeout = DurationOption.Create("--timeout", "Exit after this long (e.g. 30s, 5m)");
        var json = new Option<bool>("--json") { Description = "Print one JSON object per line" };
        var command = new Command("listen", "Print incoming messages and receipts as they arrive") { CommonOptions.As, count, timeout, json };
        command.SetFailSafeAction(async (parse, invocation, ct) =>
        {
            var limit = parse.GetValue(count);
            if (limit is <= 0)
            {
                throw new CliException("--count must be at least 1", ExitCodes.Usage);
            }

            var duration = parse.GetValue(timeout);
            var asJson = parse.GetValue(json);
            var store = CredentialStore.FromEnvironment();
            var user = store.Load(parse.GetValue(CommonOptions.As));
            var marks = new SessionMarks(store.Home);
            if (marks.Live(user.Phone) is { } live)
            {
                Output.Notice($"warning: {user.Phone} is logged in by '{live.Command.EscapeMarkup()}' (pid {live.Pid}); this listen ends that session (one session per user)");
            }

            using var mark = marks.Claim(user.Phone, "akkachat listen");
            var session = await invocation.LoginAsync(user, parse.GetValue(CommonOptions.Server), ct);
            await using var _ = session;
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
            Output.Notice($"listening as {user.Phone} on {session.Server.ToString().EscapeMarkup()}, {session.Login.Pending} waiting; Ctrl+C to stop");

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (duration is { } d)
            {
                deadline.CancelAfter(d);
            }

            var seen = 0;
            try
            {
                await foreach (var e in session.ReadEventsAsync(deadline.Token))
                {
                    if (Print(e, asJson))
                    {
                        seen++;
                    }

                    if (seen == limit)
                    {
                        break; // ending the loop acknowledges this last item too
                    }
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested && limit is { } expected && seen < expected)
            {
                throw new CliException($"timed out after {Durations.Format(duration!.Value)} with {seen} of {expected} messages and receipts");
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // --timeout without --count: the normal end
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Prints one event; true for the messages and receipts that --count counts. The other commands
    /// that read events (presence watch, status feed) print queued items with it too, so that nothing
    /// is acknowledged without being shown.
    /// </summary>
    internal static bool Print(ChatEvent e, bool asJson)
    {
        switch (e)
        {
            case MessageReceived m:
                if (asJson)
                {
                    Output.Raw(JsonSerializer.Serialize(new
                    {
                        Type = "message", m.Seq, m.ServerMsgId, m.From, m.GroupId, Kind = m.Kind.ToString().ToLowerInvariant(),
                        Text = m.Kind == MessageKind.Text ? m.Text : null, m.MediaId, SentAt = m.SentAt, m.Encrypted,
                    }, Json));
                }
                else
                {
                    var group = m.GroupId.Length > 0 ? $" in g:{m.GroupId}" : string.Empty;
                    var body = m.Kind == MessageKind.Text ? m.Text.EscapeMarkup() : $"[italic]{MessageKinds.Describe(m.Kind, m.MediaId, m.Text).EscapeMarkup()}[/]";
                    var clear = m.Encrypted || Invocation.Plaintext ? string.Empty : " [yellow](not encrypted)[/]";
                    Output.Line($"[grey]{Output.Time(m.SentAt)}[/] [bold]{m.From}{group}[/]: {body}{clear}");
                }

                return true;
            case ReceiptReceived r:
                if (asJson)
                {
                    Output.Raw(JsonSerializer.Serialize(new
                    {
                        Type = "receipt", r.Seq, Status = r.Status.ToString().ToLowerInvariant(), r.By, r.ServerMsgId, r.ClientMsgId, r.GroupId, r.At,
                    }, Json));
                }
                else
                {
                    var mark = r.Status == ReceiptStatus.Read ? "[blue]✓✓[/] read by" : "✓✓ delivered to";
                    // The id send printed for this message (server_msg_id), so a receipt can be matched to its send.
                    Output.Line($"[grey]{Output.Time(r.At)}[/] {mark} {r.By} [grey](id {r.ServerMsgId.EscapeMarkup()})[/]");
                }

                return true;
            case GroupChanged g when g.Seq > 0:
                if (asJson)
                {
                    Output.Raw(JsonSerializer.Serialize(new { Type = "group", g.Seq, g.GroupId, g.Subject, g.Version, g.Members }, Json));
                }
                else
                {
                    Output.Line($"group changed: {GroupCommand.Describe(g)}");
                }

                return false;
            case StatusReceived st:
                StatusCommand.Print(st, asJson);
                return false;
            case ServerErrorReceived error:
                Output.Notice($"the node reported {error.Code}: {error.Message.EscapeMarkup()}");
                return false;
            case SafetyNumberChanged change:
                Output.Notice($"the safety number with {change.Peer} changed (a new device, or someone in between); its message is not shown. New number: {AkkaChat.Client.Encryption.SafetyNumber.Format(change.SafetyNumber)}; compare it, then accept it with 'akkachat verify {change.Peer} --accept' (or /accept in 'akkachat chat', which also shows the message)");
                return false;
            case UndecryptableMessage u:
                Output.Notice($"a message from {u.From} could not be decrypted ({u.Reason}): {u.Detail.EscapeMarkup()}");
                return false;
            case EncryptionProblem problem:
                Output.Notice($"encryption: {problem.Message.EscapeMarkup()}");
                return false;
            default:
                return false;
        }
    }
}
