using Spectre.Console;

namespace AkkaChat.Pbm;

/// <summary>Runs commands against one host: a single command, or the interactive prompt <c>[host:port] pbm&gt;</c>.</summary>
internal sealed class Session(ManagementClient client, HostAddress address, TextWriter output, TextWriter errors)
{
    /// <summary>Runs one command and returns the exit code; Ctrl+C stops a streaming command.</summary>
    public async Task<int> RunAsync(IReadOnlyList<string> words, CancellationToken cancel)
    {
        if (words is ["help"] or ["?"])
        {
            foreach (var line in Help.Lines(client.Palettes))
            {
                output.WriteLine(line);
            }

            return ExitCodes.Ok;
        }

        var end = await client.RunAsync(words, line =>
        {
            output.WriteLine(line);
            output.Flush();
        }, cancel);
        if (end.Ok)
        {
            return ExitCodes.Ok;
        }

        Error(end.Error ?? "failed");
        if (end.Error?.StartsWith("unauthorized", StringComparison.Ordinal) == true)
        {
            throw new PbmException(end.Error, ExitCodes.Unavailable);
        }

        return ExitCodes.CommandFailed;
    }

    public async Task<int> PromptAsync()
    {
        output.WriteLine($"Connected to {client.Hello.Node} ({client.Hello.Address}). 'help' lists the commands; Tab completes; 'exit' leaves.");
        var editor = new LineEditor(new Completer(client.Palettes), Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pbm_history"));
        CancellationTokenSource? running = null;
        Console.CancelKeyPress += (_, e) =>
        {
            if (running is not null)
            {
                e.Cancel = true; // Ctrl+C stops the running command (a tail), not the prompt
                running.Cancel();
            }
        };
        while (editor.ReadLine($"[{address}] pbm> ") is { } line)
        {
            IReadOnlyList<string> words;
            try
            {
                words = Words.Split(line);
            }
            catch (PbmException e)
            {
                Error(e.Message);
                continue;
            }

            if (words.Count == 0)
            {
                continue;
            }

            if (words is ["exit"] or ["quit"])
            {
                break;
            }

            using var cancel = new CancellationTokenSource();
            running = cancel;
            await RunAsync(words, cancel.Token);
            running = null;
        }

        return ExitCodes.Ok;
    }

    private void Error(string message)
    {
        if (ReferenceEquals(errors, Console.Error) && !Console.IsErrorRedirected)
        {
            AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }).MarkupLine($"[red]{Markup.Escape(message)}[/]");
        }
        else
        {
            errors.WriteLine(message);
        }
    }
}

/// <summary>The commands of the advertised palettes, one line each.</summary>
internal static class Help
{
    public static IEnumerable<string> Lines(IReadOnlyList<Palette> palettes)
    {
        foreach (var palette in palettes)
        {
            yield return $"{palette.Name}: {palette.Description}";
            foreach (var command in palette.Commands)
            {
                var usage = $"{palette.Name} {command.Name}{string.Concat(command.Arguments.Select(a => " " + a))}{string.Concat(command.Options.Select(o => $" [{o.Name} {o.Value}]"))}";
                yield return $"  {usage,-52} {command.Description}";
            }
        }
    }
}
