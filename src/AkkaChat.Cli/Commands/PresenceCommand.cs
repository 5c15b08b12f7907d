using System.CommandLine;
using System.Text.Json;
using AkkaChat.Client;
using AkkaChat.Protocol;

namespace AkkaChat.Cli.Commands;

/// <summary>
/// <c>akkachat presence watch PHONE... [--as PHONE] [--count N] [--timeout D] [--json]</c>: subscribes
/// to the numbers' presence and prints the state at once, then each change:
/// <c>12:00:01 +15550002 online</c>, <c>12:03:10 +15550002 offline, last seen 12:03:09</c>. Only
/// numbers in the user's synced address book can be watched (<c>akkachat contacts sync</c>); the node
/// answers any other as offline with last seen unknown. Messages and receipts arriving meanwhile are
/// printed as <c>listen</c> prints them, since reading them acknowledges them.
/// </summary>
public static class PresenceCommand
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var command = new Command("presence", "Watch whether contacts are online");
        var phones = new Argument<string[]>("phones") { Description = "Phone numbers to watch (in your synced address book)", Arity = ArgumentArity.OneOrMore };
        var events = new EventCommand("presence changes");
        var watch = new Command("watch", "Print the contacts' presence now and on each change") { phones };
        events.AddOptionsTo(watch);
        watch.SetFailSafeAction(async (parse, invocation, ct) =>
        {
            var numbers = parse.GetRequiredValue(phones);
            foreach (var number in numbers)
            {
                if (!PhoneNumber.TryParse(number, out _))
                {
                    throw new CliException($"'{number}' is not a phone number in E.164 form (+ then 8 to 15 digits)", ExitCodes.Usage);
                }
            }

            return await events.RunAsync(parse, invocation, "presence watch", "presence changes",
                (session, t) => session.SubscribePresenceAsync(numbers, t),
                (e, asJson) =>
                {
                    if (e is PresenceChanged p)
                    {
                        return Print(p, asJson);
                    }

                    ListenCommand.Print(e, asJson); // not counted
                    return false;
                },
                ct);
        });
        command.Subcommands.Add(watch);
        return command;
    }

    private static bool Print(PresenceChanged p, bool asJson)
    {
        if (asJson)
        {
            Output.Raw(JsonSerializer.Serialize(new { Type = "presence", p.Phone, p.Online, p.LastSeen }, Json));
        }
        else
        {
            var state = p.Online ? "[green]online[/]" : $"offline, last seen {(p.LastSeen is { } at ? Output.Time(at) : "unknown")}";
            Output.Line($"[grey]{Output.Time(DateTimeOffset.Now)}[/] [bold]{p.Phone}[/] {state}");
        }

        return true;
    }
}
