using System.CommandLine;
using AkkaChat.Protocol;
using Spectre.Console;

namespace AkkaChat.Cli.Commands;

/// <summary><c>akkachat send TO TEXT [--as PHONE] [--timeout 30s]</c>: sends one text message and waits for its SEND_ACK.</summary>
public static class SendCommand
{
    public static Command Create()
    {
        var to = new Argument<string>("to") { Description = "The recipient: a phone number (+15550002) or a group (g:id)" };
        var text = new Argument<string>("text") { Description = "The message" };
        var timeout = DurationOption.Create("--timeout", "How long to wait for the node to store the message (default 30s)");
        var command = new Command("send", "Send a text message") { to, text, CommonOptions.As, timeout };
        command.SetFailSafeAction(async (parse, invocation, ct) =>
        {
            var recipient = parse.GetRequiredValue(to);
            if (!ChatAddress.TryParse(recipient, out _))
            {
                throw new CliException($"'{recipient}' is neither a phone number in E.164 form (+ then 8 to 15 digits) nor a group (g:id)", ExitCodes.Usage);
            }

            var user = CredentialStore.FromEnvironment().Load(parse.GetValue(CommonOptions.As));
            var wait = parse.GetValue(timeout) ?? TimeSpan.FromSeconds(30);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(wait);
            try
            {
                var (client, _) = await invocation.LoginAsync(user, parse.GetValue(CommonOptions.Server), deadline.Token);
                await using (client)
                {
                    var ack = await client.SendTextAsync(recipient, parse.GetRequiredValue(text), ct: deadline.Token);
                    Output.Line($"[green]✓[/] sent to {recipient} [grey]({ack.ServerMsgId})[/]");
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
