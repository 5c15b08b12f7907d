using Spectre.Console;

namespace AkkaChat.Cli;

/// <summary>
/// Where <c>akkachat</c> writes. Results (messages, receipts, "sent") go to standard output;
/// progress and notices to standard error, so that <c>listen --json</c> output stays machine-readable.
/// On a terminal lines carry colour (Spectre.Console markup); redirected, the markup is removed and
/// lines are never wrapped.
/// </summary>
public static class Output
{
    private static readonly Lazy<IAnsiConsole> ErrorConsole = new(() =>
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }));

    public static bool IsTerminal => !Console.IsOutputRedirected;

    /// <summary>A result line on standard output, in Spectre markup.</summary>
    public static void Line(string markup)
    {
        if (IsTerminal)
        {
            AnsiConsole.MarkupLine(markup);
        }
        else
        {
            Console.Out.WriteLine(markup.RemoveMarkup());
            Console.Out.Flush();
        }
    }

    /// <summary>A line of plain text on standard output, exactly as given.</summary>
    public static void Raw(string text)
    {
        Console.Out.WriteLine(text);
        Console.Out.Flush();
    }

    /// <summary>A notice on standard error, in Spectre markup.</summary>
    public static void Notice(string markup)
    {
        if (!Console.IsErrorRedirected)
        {
            ErrorConsole.Value.MarkupLine($"[grey]{markup}[/]");
        }
        else
        {
            Console.Error.WriteLine(markup.RemoveMarkup());
        }
    }

    /// <summary>The one line every failure prints.</summary>
    public static void Error(string message) => Console.Error.WriteLine($"akkachat: error: {message}");

    public static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("HH:mm:ss");
}
