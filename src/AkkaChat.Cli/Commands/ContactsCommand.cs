using System.CommandLine;
using AkkaChat.Protocol;
using Spectre.Console;

namespace AkkaChat.Cli.Commands;

/// <summary>
/// <c>akkachat contacts sync FILE [--as PHONE]</c>: replaces the user's address book on the node with
/// the numbers in FILE (one per line; blank lines and lines starting with <c>#</c> are ignored;
/// <c>-</c> reads standard input) and prints the registered ones, one per line. Lines that are not
/// E.164 numbers are named on standard error and left out, as the node would skip them. The book
/// decides whose presence the user may watch and who gets the user's statuses (mutual contacts).
/// </summary>
public static class ContactsCommand
{
    public static Command Create()
    {
        var command = new Command("contacts", "Sync your address book with the node");
        var file = new Argument<string>("file") { Description = "The numbers, one per line ('-' for standard input)" };
        var timeout = DurationOption.Create("--timeout", "How long to wait for the node's answer (default 30s)");
        var sync = new Command("sync", "Replace your address book and print which numbers are registered") { file, CommonOptions.As, timeout };
        sync.SetFailSafeAction(async (parse, invocation, ct) =>
        {
            var path = parse.GetRequiredValue(file);
            if (path != "-" && !File.Exists(path))
            {
                throw new CliException($"no such file: {Path.GetFullPath(path)}", ExitCodes.Usage);
            }

            var lines = path == "-" ? ReadAll(Console.In) : await File.ReadAllLinesAsync(path, ct);
            var numbers = new List<string>();
            foreach (var line in lines.Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
            {
                if (PhoneNumber.TryParse(line, out var number))
                {
                    numbers.Add(number.Value);
                }
                else
                {
                    Output.Notice($"skipped '{line.EscapeMarkup()}': not a phone number in E.164 form (+ then 8 to 15 digits)");
                }
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
                    var registered = await session.RequestAsync((c, t) => c.SyncContactsAsync(numbers, t), deadline.Token);
                    foreach (var number in registered)
                    {
                        Output.Raw(number);
                    }

                    Output.Notice($"address book of {user.Phone} replaced: {numbers.Distinct().Count()} numbers, {registered.Count} registered");
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new CliException($"no answer from {invocation.Server} within {Durations.Format(wait)}");
            }

            return ExitCodes.Ok;
        });
        command.Subcommands.Add(sync);
        return command;
    }

    private static string[] ReadAll(TextReader reader)
    {
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return lines.ToArray();
    }
}
