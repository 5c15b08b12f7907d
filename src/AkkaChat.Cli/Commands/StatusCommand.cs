using System.CommandLine;
using System.Text.Json;
using AkkaChat.Client;
using AkkaChat.Protocol;
using Spectre.Console;

namespace AkkaChat.Cli.Commands;

/// <summary>
/// 24-hour statuses. <c>akkachat status post TEXT</c> posts a text status, <c>akkachat status post
/// --file PATH [CAPTION] [--web URL]</c> uploads the file to the node's media endpoint and posts it
/// by its media_id (image, voice message, video or document by its extension, as <c>send --file</c>);
/// both print the status id once the node has queued it for every mutual contact (contacts who
/// have each other in their synced address books). <c>akkachat status feed [--count N] [--timeout D]
/// [--json]</c> prints contacts' statuses as they arrive, with when each expires:
/// <c>12:00:01 +15550002: at the beach  (expires 12:00 tomorrow)</c>. The node never delivers a status
/// after it expired. Messages and receipts arriving meanwhile are printed as <c>listen</c> prints them.
/// </summary>
public static class StatusCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Command Create()
    {
        var command = new Command("status", "Post 24-hour statuses and read your contacts' ones");
        command.Subcommands.Add(Post());
        command.Subcommands.Add(Feed());
        return command;
    }

    private static Command Post()
    {
        var text = new Argument<string?>("text") { Description = "The status (with --file: an optional caption)", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string?>("--file") { Description = "Post this file as a medium: uploaded to the node's web port, then posted by its media_id", HelpName = "path" };
        var web = new Option<string?>("--web") { Description = $"The node's web port for --file, as a URL (default: http://<the node's host>:{MediaUpload.DefaultWebPort}/)", HelpName = "url" };
        var timeout = DurationOption.Create("--timeout", "How long to wait for the node to queue the status (default 30s)");
        var post = new Command("post", "Post a status to your mutual contacts for 24 hours") { text, file, web, CommonOptions.As, timeout };
        post.SetFailSafeAction(async (parse, invocation, ct) =>
        {
            var path = parse.GetValue(file);
            if (path is not null && !File.Exists(path))
            {
                throw new CliException($"no such file: {Path.GetFullPath(path)}", ExitCodes.Usage);
            }

            var body = parse.GetValue(text) ?? string.Empty;
            if (path is null && string.IsNullOrWhiteSpace(body))
            {
                throw new CliException("the status is empty: give its text, or a file with --file", ExitCodes.Usage);
            }

            var bytes = MessageLimits.Bytes(body);
            var limit = MessageLimits.MaxTextBytes("+10000000000");
            if (bytes > limit)
            {
                throw new CliException(MessageLimits.TooLarge(bytes, limit), ExitCodes.Usage);
            }

            var user = CredentialStore.FromEnvironment().Load(parse.GetValue(CommonOptions.As));
            var wait = parse.GetValue(timeout) ?? TimeSpan.FromSeconds(30);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(wait);
            try
            {
                var session = await invocation.LoginAsync(user, parse.GetValue(CommonOptions.Server), deadline.Token);
                await using (session)
                {
                    // One request id for every attempt: the node posts it once.
                    var requestId = Guid.CreateVersion7().ToString("N");
                    if (path is null)
                    {
                        var ack = await session.RequestAsync((c, t) => c.PostStatusAsync(body, requestId, t), deadline.Token);
                        Output.Line($"[green]✓[/] status posted [grey](id {ack.ServerMsgId})[/]");
                    }
                    else
                    {
                        var (contentType, kind) = MediaUpload.Classify(path);
                        var webAddress = parse.GetValue(web) is { } given ? new Uri(given.EndsWith('/') ? given : given + "/") : MediaUpload.DefaultWebAddress(invocation.Server!);
                        var mediaId = await MediaUpload.UploadAsync(webAddress, user.Phone, user.Token, path, contentType, deadline.Token);
                        var caption = System.Text.Encoding.UTF8.GetBytes(body);
                        var ack = await session.RequestAsync((c, t) => c.PostStatusAsync(kind, caption, mediaId, requestId, t), deadline.Token);
                        Output.Line($"[green]✓[/] status posted: {MessageKinds.Name(kind)} {Path.GetFileName(path).EscapeMarkup()} [grey](id {ack.ServerMsgId}, media {mediaId})[/]");
                    }
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new CliException($"no answer from {invocation.Server} within {Durations.Format(wait)}");
            }

            return ExitCodes.Ok;
        });
        return post;
    }

    private static Command Feed()
    {
        var events = new EventCommand("statuses");
        var feed = new Command("feed", "Print your contacts' statuses as they arrive, with their expiry");
        events.AddOptionsTo(feed);
        feed.SetFailSafeAction((parse, invocation, ct) => events.RunAsync(parse, invocation, "status feed", "statuses",
            (_, _) => Task.CompletedTask,
            (e, asJson) =>
            {
                if (e is StatusReceived s)
                {
                    Print(s, asJson);
                    return true;
                }

                ListenCommand.Print(e, asJson); // not counted
                return false;
            },
            ct));
        return feed;
    }

    /// <summary>One status: who, what (its kind for a medium), and when it expires.</summary>
    internal static void Print(StatusReceived s, bool asJson)
    {
        if (asJson)
        {
            Output.Raw(JsonSerializer.Serialize(new
            {
                Type = "status", s.Seq, s.StatusId, s.From, Kind = s.Kind.ToString().ToLowerInvariant(),
                Text = s.Text, s.MediaId, s.PostedAt, s.ExpiresAt,
            }, Json));
            return;
        }

        var what = MessageKinds.Describe(s.Kind, s.MediaId, s.Text).EscapeMarkup();
        var expires = s.ExpiresAt.ToLocalTime();
        var day = expires.Date == DateTimeOffset.Now.Date ? "today" : expires.Date == DateTimeOffset.Now.Date.AddDays(1) ? "tomorrow" : expires.ToString("yyyy-MM-dd");
        Output.Line($"[grey]{Output.Time(s.PostedAt)}[/] [bold]{s.From}[/] status: {what}  [grey](expires {expires:HH:mm} {day})[/]");
    }
}
