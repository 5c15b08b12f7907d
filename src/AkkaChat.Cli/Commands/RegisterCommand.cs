using System.CommandLine;
using AkkaChat.Client;
using Spectre.Console;

namespace AkkaChat.Cli.Commands;

/// <summary>
/// <c>akkachat register PHONE [--code CODE | --dev] [--device NAME] [--server host:port]</c>: asks the
/// node for a registration code, verifies it and stores the device token. The code comes from
/// <c>--code</c>, from the node itself with <c>--dev</c> (only a node running with
/// <c>akkachat.auth.reveal-codes = on</c> reveals it), or is asked for: at a prompt on a terminal,
/// as one line on standard input otherwise.
/// </summary>
public static class RegisterCommand
{
    public static Command Create()
    {
        var phone = new Argument<string>("phone") { Description = "Your phone number in E.164 form, e.g. +15550001" };
        var code = new Option<string?>("--code") { Description = "The 6-digit code the node sent by SMS (asked for when missing)" };
        var dev = new Option<bool>("--dev") { Description = "Use the code a development node reveals (akkachat.auth.reveal-codes = on)" };
        var device = new Option<string?>("--device") { Description = "A name for this device (default: the machine name)", HelpName = "name" };
        var command = new Command("register", "Register a phone number with the node and store its credentials") { phone, code, dev, device };
        command.SetFailSafeAction(async (parse, invocation, ct) =>
        {
            var number = Phones.Require(parse.GetRequiredValue(phone));
            var servers = Servers.Resolve(parse.GetValue(CommonOptions.Server));
            var deviceName = parse.GetValue(device) ?? $"{Environment.MachineName} (akkachat)";
            var (client, sent) = await RequestCodeAsync(servers, number, invocation, ct);
            await using var _ = client;
            var server = invocation.Server!;
            var theCode = parse.GetValue(code) ?? (parse.GetValue(dev) ? RevealedCode(sent.DevCode) : await AskForCodeAsync(number, sent.ExpiresInS, ct));
            var credentials = await client.VerifyAsync(number, theCode.Trim(), deviceName, ct);

            var file = CredentialStore.FromEnvironment().Save(
                new StoredUser(credentials.Phone, credentials.Token, servers.ToString(), deviceName, DateTimeOffset.UtcNow));
            Output.Line($"[green]✓[/] registered {number} on {server.ToString().EscapeMarkup()}");
            Output.Notice($"credentials stored in {file.EscapeMarkup()}; {number} is now the default user");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Asks the first node of the list that answers for a code; the connection stays open for the verification.</summary>
    private static async Task<(AkkaChatClient Client, AkkaChat.Protocol.Messages.AuthCodeSent Sent)> RequestCodeAsync(ServerList servers, string number, Invocation invocation, CancellationToken ct)
    {
        for (var i = 0; ; i++)
        {
            invocation.Server = servers[i];
            var client = new AkkaChatClient(Invocation.ClientOptionsFor(servers[i]));
            try
            {
                return (client, await client.RequestCodeAsync(number, ct));
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or TimeoutException && i + 1 < servers.Count)
            {
                await client.DisposeAsync();
            }
            catch
            {
                await client.DisposeAsync();
                throw;
            }
        }
    }

    private static string RevealedCode(string devCode) =>
        devCode.Length > 0
            ? devCode
            : throw new CliException("the node did not reveal the code (only a node running with akkachat.auth.reveal-codes = on does); pass --code instead");

    private static async Task<string> AskForCodeAsync(string phone, uint expiresInS, CancellationToken ct)
    {
        if (Console.IsInputRedirected)
        {
            return await Console.In.ReadLineAsync(ct) is { Length: > 0 } line
                ? line
                : throw new CliException("no code: pass --code, or --dev with a development node, or give the code on standard input", ExitCodes.Usage);
        }

        var prompt = new TextPrompt<string>($"Code sent to {phone} (valid {expiresInS / 60} min):")
            .Validate(c => c.Trim().Length == 6 && c.Trim().All(char.IsAsciiDigit) ? ValidationResult.Success() : ValidationResult.Error("the code is 6 digits"));
        return await AnsiConsole.PromptAsync(prompt, ct);
    }
}
