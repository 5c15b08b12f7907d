using System.CommandLine;
using AkkaChat.Protocol;
using Spectre.Console;

namespace AkkaChat.Cli.Commands;

/// <summary>
/// <c>akkachat send TO TEXT [--as PHONE] [--timeout 30s]</c>: sends one text message and waits for
/// its SEND_ACK. <c>akkachat send TO --file PATH [CAPTION] [--web URL]</c> uploads the file to the
/// node's media endpoint first and sends it by its media_id, as an image, voice message (audio),
/// video or document by its extension. Empty or blank text is refused, and so is text larger than one message holds, with
/// its size and the limit. Prints the message's id (server_msg_id), the id <c>listen</c> shows on its
/// receipts. Warns when it ends a chat or listen of the same user on this machine (one session per user).
/// </summary>
public static class SendCommand
{
    public static Command Create()
    {
        var to = new Argument<string>("to") { Description = "The recipient: a phone number (+15550002) or a group (g:id)" };
        var text = new Argument<string?>("text") { Description = "The message (with --file: an optional caption)", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string?>("--file") { Description = "Send this file as a medium: uploaded to the node's web port, then sent by its media_id", HelpName = "path" };
        var web = new Option<string?>("--web") { Description = $"The node's web port for --file, as a URL (default: http://<the node's host>:{MediaUpload.DefaultWebPort}/)", HelpName = "url" };
        var timeout = DurationOption.Create("--timeout", "How long to wait for the node to store the message (default 30s)");
        var command = new Command("send", "Send a text message, or a file with --file") { to, text, file, web, CommonOptions.As, timeout };
        command.SetFailSafeAction(async (parse, invocation, ct) =>
        {
            var recipient = parse.GetRequiredValue(to);
            if (!ChatAddress.TryParse(recipient, out _))
            {
                throw new CliException($"'{recipient}' is neither a phone number in E.164 form (+ then 8 to 15 digits) nor a group (g:id)", ExitCodes.Usage);
            }

            var path = parse.GetValue(file);
            if (path is not null && !File.Exists(path))
            {
                throw new CliException($"no such file: {Path.GetFullPath(path)}", ExitCodes.Usage);
            }

            var body = parse.GetValue(text) ?? string.Empty;
            if (path is null && string.IsNullOrWhiteSpace(body))
            {
                throw new CliException("the message is empty: give the text to send", ExitCodes.Usage);
            }

            var bytes = MessageLimits.Bytes(body);
            var limit = MessageLimits.MaxTextBytes(recipient);
            if (bytes > limit)
            {
                throw new CliException(MessageLimits.TooLarge(bytes, limit), ExitCodes.Usage);
            }

            var store = CredentialStore.FromEnvironment();
            var user = store.Load(parse.GetValue(CommonOptions.As));
            var marks = new SessionMarks(store.Home);
            if (marks.Live(user.Phone) is { } live)
            {
                Output.Notice($"warning: {user.Phone} is logged in by '{live.Command.EscapeMarkup()}' (pid {live.Pid}); this send logs in as {user.Phone} and ends that session (one session per user)");
            }

            using var mark = marks.Claim(user.Phone, "akkachat send");
            var wait = parse.GetValue(timeout) ?? TimeSpan.FromSeconds(30);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(wait);
            try
            {
                var session = await invocation.LoginAsync(user, parse.GetValue(CommonOptions.Server), deadline.Token);
                await using (session)
                {
                    try
                    {
                        var clientMsgId = Guid.CreateVersion7().ToString("N");
                        if (path is null)
                        {
                            var ack = await session.SendTextAsync(recipient, body, clientMsgId, deadline.Token);
                            Output.Line($"[green]✓[/] sent to {recipient} [grey](id {ack.ServerMsgId})[/]");
                        }
                        else
                        {
                            var (contentType, kind) = MediaUpload.Classify(path);
                            var webAddress = parse.GetValue(web) is { } given ? new Uri(given.EndsWith('/') ? given : given + "/") : MediaUpload.DefaultWebAddress(invocation.Server!);
                            var mediaId = await MediaUpload.UploadAsync(webAddress, user.Phone, user.Token, path, contentType, deadline.Token);
                            var ack = await session.SendAsync(recipient, kind, System.Text.Encoding.UTF8.GetBytes(body), mediaId, clientMsgId, deadline.Token);
                            Output.Line($"[green]✓[/] sent {MessageKinds.Name(kind)} {Path.GetFileName(path).EscapeMarkup()} to {recipient} [grey](id {ack.ServerMsgId}, media {mediaId})[/]");
                        }
                    }
                    catch (AkkaChat.Client.AkkaChatException e) when (e.Code == ErrorCode.TooLarge)
                    {
                        throw new CliException($"too large: the message is {MessageLimits.Format(bytes)} bytes, and the node refused it: {e.Message}");
                    }
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new CliException($"no answer from {invocation.Server} within {Durations.Format(wait)}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}

/// <summary>Duration options: <c>500ms</c>, <c>30s</c>, <c>5m</c>, or seconds.</summary>
public static class DurationOption
{
    public static Option<TimeSpan?> Create(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "duration",
        CustomParser = result =>
        {
            var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
            if (Durations.TryParse(token, out var duration))
            {
                return duration;
            }

            result.AddError($"'{token}' is not a duration for {name} (e.g. 500ms, 30s, 5m)");
            return null;
        },
    };
}
