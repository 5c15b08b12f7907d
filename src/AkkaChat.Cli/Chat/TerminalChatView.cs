using Spectre.Console;

namespace AkkaChat.Cli.Chat;

/// <summary>
/// The chat on a terminal. The bottom row is the prompt with what is being typed; everything else
/// is printed above it. A sent line's mark is redrawn in place when its state changes, while the
/// line is still on screen; marks are two cells wide so the line never changes length:
/// <c>…</c> sending, <c>✓</c> sent, <c>✓✓</c> delivered, blue <c>✓✓</c> read, red <c>✗</c> refused.
/// Keys are read one at a time (Enter sends, Backspace, Esc clears, Ctrl+D on an empty line leaves);
/// the input is capped at what one message holds (<see cref="ChatInput"/>), and a burst of keys (a
/// paste) is drawn once, after its last key. Lines are wrapped at word boundaries
/// (<see cref="WordWrap"/>), so the view knows each line's rows.
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
    private readonly ChatInput _input;
    private readonly TextWriter _out = Console.Out;
    // Rows printed above the prompt since the chat began; the prompt is on row _rows.
    private long _rows;
    // Who is typing, shown in front of the prompt.
    private string _typing = string.Empty;

    public TerminalChatView(int maxBytes)
    {
        _input = new ChatInput(maxBytes);
        lock (_gate)
        {
            DrawPrompt();
        }
    }

    private static int Width => Math.Max(Console.WindowWidth, 10);

    public Task<string?> ReadLineAsync(CancellationToken ct) => Task.Run(ReadLine, ct).WaitAsync(ct);

    public event Action? Typed;

    private string? ReadLine()
    {
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            var before = _input.Bytes;
            lock (_gate)
            {
                switch (key.Key)
                {
                    case ConsoleKey.Enter:
                        var text = _input.Take();
                        DrawPrompt();
                        return text;
                    case ConsoleKey.Backspace:
                        _input.Backspace();
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

                if (!Console.KeyAvailable)
                {
                    DrawPrompt(); // once per burst: a paste is drawn after its last key
                }
            }

            if (_input.Bytes != before && _input.Length > 0)
            {
                Typed?.Invoke();
            }
        }
    }

    public void ShowTyping(string text)
    {
        lock (_gate)
        {
            _typing = Clean(text);
            DrawPrompt();
        }
    }

    public void Show(SentLine line)
    {
        lock (_gate)
        {
            var rows = Render(line);
            line.Position = (_rows, rows.Count);
            PrintAbove(rows);
        }
    }

    public void Update(SentLine line)
    {
        lock (_gate)
        {
            var rows = Render(line);
            var (row, height) = line.Position;
            var up = _rows - row;
            if (rows.Count != height || up + 1 >= Console.WindowHeight)
            {
                // Scrolled away or wrapped differently: show the line again, below.
                line.Position = (_rows, rows.Count);
                PrintAbove(rows);
            }
            else
            {
                // Up to the line's first row, rewrite its rows (same breaks), back down to the prompt.
                var down = up - (height - 1);
                _out.Write($"\r\e[{up}A{string.Join("\r\n", rows)}\r");
                if (down > 0)
                {
                    _out.Write($"\e[{down}B");
                }

                DrawPrompt();
            }
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
            var rows = WordWrap.Rows($"{time} {from}: {Clean(text)}", Width).ToArray();
            var head = time.Length + 1 + from.Length;
            if (rows[0].Length >= head)
            {
                rows[0] = $"{Grey}{time}{Reset} {Bold}{from}{Reset}{rows[0][head..]}";
            }
            PrintAbove(rows);
        }
    }

    public void Notice(string markup)
    {
        lock (_gate)
        {
            var plain = markup.RemoveMarkup();
            PrintAbove(WordWrap.Rows(Clean(plain), Width).Select(r => $"{Grey}{r}{Reset}").ToArray());
        }
    }

    /// <summary>A sent line's rows; the mark is two cells wide in every state, so its breaks never change.</summary>
    private static IReadOnlyList<string> Render(SentLine line)
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
        // A group line's member counts are fixed width, so the line keeps its rows when redrawn.
        var members = line.Recipients > 0 ? "  " + line.MemberMarks : string.Empty;
        var rows = WordWrap.Rows($"{time} you: {Clean(line.Text)}  ..{members}", Width).ToArray();
        rows[0] = $"{Grey}{time}{Reset}{rows[0][time.Length..]}";
        var at = Array.FindLastIndex(rows, r => r.Contains("..", StringComparison.Ordinal));
        var cut = rows[at].LastIndexOf("..", StringComparison.Ordinal);
        rows[at] = rows[at][..cut] + mark + rows[at][(cut + 2)..];
        return rows;
    }

    /// <summary>Control characters (and escape sequences) in a message are not the sender's to send to this terminal.</summary>
    private static string Clean(string text) => string.Create(text.Length, text, static (span, t) =>
    {
        for (var i = 0; i < t.Length; i++)
        {
            span[i] = char.IsControl(t[i]) ? ' ' : t[i];
        }
    });

    /// <summary>Replaces the prompt row with <paramref name="rows"/>, then draws the prompt below them.</summary>
    private void PrintAbove(IReadOnlyList<string> rows)
    {
        _out.Write("\r\e[2K");
        foreach (var row in rows)
        {
            _out.Write(row);
            _out.Write("\r\n");
        }

        _rows += rows.Count;
        DrawPrompt();
    }

    private void DrawPrompt()
    {
        // Only the end of a long input fits on the one prompt row; the counter says how much there is.
        // Who is typing goes in front of the prompt, cut so the input keeps at least half the row.
        var typing = _typing.Length == 0 ? string.Empty : (_typing.Length > Width / 2 ? _typing[..(Width / 2 - 1)] + "…" : _typing) + " ";
        var (visible, counter) = _input.Row(Width - typing.Length - Prompt.Length - 1);
        _out.Write($"\r\e[2K{Grey}{typing}{Reset}{Bold}{Prompt}{Reset}{visible}{(counter.Length > 0 ? $"{(_input.Full ? Red : Grey)}{counter}{Reset}" : string.Empty)}");
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
