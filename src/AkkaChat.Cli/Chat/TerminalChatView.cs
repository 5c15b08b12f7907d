using System.Text;
using Spectre.Console;

namespace AkkaChat.Cli.Chat;

/// <summary>
/// The chat on a terminal. The bottom row is the prompt with what is being typed; everything else
/// is printed above it. A sent line's mark is redrawn in place when its state changes, while the
/// line is still on screen; marks are two cells wide so the line never changes length:
/// <c>…</c> sending, <c>✓</c> sent, <c>✓✓</c> delivered, blue <c>✓✓</c> read, red <c>✗</c> refused.
/// Keys are read one at a time (Enter sends, Backspace, Esc clears, Ctrl+D on an empty line leaves).
/// </summary>
public sealed class TerminalChatView : IChatView
{
    private const string Prompt = "> ";
    private const string Reset = "\e[0m";
    private const string Grey = "\e[90m";
    private const string Blue = "\e[94m";
    private const string Red = "\e[31m";
    private const string Bold = "\e[1m";

    private readonly object _gate = new();
    private readonly StringBuilder _input = new();
    private readonly TextWriter _out = Console.Out;
    // Rows printed above the prompt since the chat began; the prompt is on row _rows.
    private long _rows;

    public TerminalChatView()
    {
        lock (_gate)
        {
            DrawPrompt();
        }
    }

    private static int Width => Math.Max(Console.WindowWidth, 10);

    public Task<string?> ReadLineAsync(CancellationToken ct) => Task.Run(ReadLine, ct).WaitAsync(ct);

    private string? ReadLine()
    {
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            lock (_gate)
            {
                switch (key.Key)
                {
                    case ConsoleKey.Enter:
                        var text = _input.ToString();
                        _input.Clear();
                        DrawPrompt();
                        return text;
                    case ConsoleKey.Backspace when _input.Length > 0:
                        _input.Length -= _input.Length > 1 && char.IsLowSurrogate(_input[^1]) ? 2 : 1;
                        break;
                    case ConsoleKey.Escape:
                        _input.Clear();
                        break;
                    case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control) && _input.Length == 0:
                        return null;
                    default:
                        if (key.KeyChar == '\u0004' && _input.Length == 0)
                        {
                            return null;
                        }

                        if (!char.IsControl(key.KeyChar))
                        {
                            _input.Append(key.KeyChar);
                        }

                        break;
                }

                DrawPrompt();
            }
        }
    }

    public void Show(SentLine line)
    {
        lock (_gate)
        {
            var (text, cells) = Render(line);
            line.Position = (_rows, Height(cells));
            PrintAbove(text, cells);
        }
    }

    public void Update(SentLine line)
    {
        lock (_gate)
        {
            var (text, cells) = Render(line);
            var (row, height) = line.Position;
            var up = _rows - row;
            if (Height(cells) != height || up + 1 >= Console.WindowHeight)
            {
                // Scrolled away or wrapped differently: show the line again, below.
                line.Position = (_rows, Height(cells));
                PrintAbove(text, cells);
                return;
            }

            // Up to the line's first row, rewrite it (same length), back down to the prompt.
            var down = up - (height - 1);
            _out.Write($"\r\e[{up}A{text}\r");
            if (down > 0)
            {
                _out.Write($"\e[{down}B");
            }

            DrawPrompt();
        }

        if (line.State == LineState.Failed)
        {
            Notice($"[red]not sent: {line.Error.EscapeMarkup()}[/]");
        }
    }

    public void Incoming(string from, string text, DateTimeOffset at)
    {
        lock (_gate)
        {
            var time = Output.Time(at);
            PrintAbove($"{Grey}{time}{Reset} {Bold}{from}{Reset}: {Clean(text)}", $"{time} {from}: {Clean(text)}".GetCellWidth());
        }
    }

    public void Notice(string markup)
    {
        lock (_gate)
        {
            var plain = markup.RemoveMarkup();
            var writer = new StringWriter();
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(writer),
                Ansi = AnsiSupport.Yes,
                ColorSystem = ColorSystemSupport.Standard,
                Interactive = InteractionSupport.No,
            });
            console.Profile.Width = int.MaxValue / 2; // no wrapping: the terminal wraps, and Height counts its rows
            console.Markup($"[grey]{markup}[/]");
            PrintAbove(writer.ToString(), plain.GetCellWidth());
        }
    }

    private static (string Text, int Cells) Render(SentLine line)
    {
        var mark = line.State switch
        {
            LineState.Sending => $"{Grey}… {Reset}",
            LineState.Sent => $"{Grey}✓ {Reset}",
            LineState.Delivered => $"{Grey}✓✓{Reset}",
            LineState.Read => $"{Blue}✓✓{Reset}",
            _ => $"{Red}✗ {Reset}",
        };
        var time = Output.Time(line.At);
        var text = Clean(line.Text);
        var members = line.Recipients > 0 ? "  " + line.MemberMarks : string.Empty; // fixed width: redrawn in place
        return ($"{Grey}{time}{Reset} you: {text}  {mark}{Grey}{members}{Reset}", $"{time} you: {text}  ..{members}".GetCellWidth());
    }

    /// <summary>Control characters (and escape sequences) in a message are not the sender's to send to this terminal.</summary>
    private static string Clean(string text) => string.Concat(text.Select(c => char.IsControl(c) ? ' ' : c));

    private static int Height(int cells) => Math.Max(1, (cells + Width - 1) / Width);

    /// <summary>Replaces the prompt row with <paramref name="text"/>, then draws the prompt below it.</summary>
    private void PrintAbove(string text, int cells)
    {
        _out.Write($"\r\e[2K{text}\n");
        _rows += Height(cells);
        DrawPrompt();
    }

    private void DrawPrompt()
    {
        // Only the end of a long input fits on the one prompt row.
        var input = _input.ToString();
        var room = Width - Prompt.Length - 2;
        while (input.GetCellWidth() > room)
        {
            input = input[1..];
        }

        _out.Write($"\r\e[2K{Bold}{Prompt}{Reset}{input}");
        _out.Flush();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _out.Write("\r\e[2K");
            _out.Flush();
        }
    }
}
