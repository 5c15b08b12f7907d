using System.Text;

namespace AkkaChat.Pbm;

/// <summary>
/// Reads a line at the interactive prompt: editing (left, right, backspace, delete, home, end),
/// history (up, down; kept in ~/.pbm_history, last <see cref="HistoryLimit"/> lines) and Tab
/// completion (a second Tab lists the candidates). Standard input that is not a terminal is read
/// line by line without editing.
/// </summary>
internal sealed class LineEditor(Completer completer, string historyFile)
{
    public const int HistoryLimit = 500;

    private readonly List<string> _history = Load(historyFile);

    public string? ReadLine(string prompt)
    {
        Console.Write(prompt);
        if (Console.IsInputRedirected)
        {
            var line = Console.ReadLine();
            if (line is not null)
            {
                Console.WriteLine(line);
            }

            return line;
        }

        var buffer = new StringBuilder();
        var cursor = 0;
        var historyIndex = _history.Count;
        var lastWasTab = false;
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            var wasTab = false;
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    Console.WriteLine();
                    Remember(buffer.ToString());
                    return buffer.ToString();
                case ConsoleKey.Backspace when cursor > 0:
                    buffer.Remove(--cursor, 1);
                    break;
                case ConsoleKey.Delete when cursor < buffer.Length:
                    buffer.Remove(cursor, 1);
                    break;
                case ConsoleKey.LeftArrow when cursor > 0:
                    cursor--;
                    break;
                case ConsoleKey.RightArrow when cursor < buffer.Length:
                    cursor++;
                    break;
                case ConsoleKey.Home:
                    cursor = 0;
                    break;
                case ConsoleKey.End:
                    cursor = buffer.Length;
                    break;
                case ConsoleKey.UpArrow when historyIndex > 0:
                    Replace(buffer, _history[--historyIndex], ref cursor);
                    break;
                case ConsoleKey.DownArrow when historyIndex < _history.Count:
                    Replace(buffer, ++historyIndex == _history.Count ? string.Empty : _history[historyIndex], ref cursor);
                    break;
                case ConsoleKey.Tab:
                    wasTab = true;
                    var head = buffer.ToString(0, cursor);
                    var completed = completer.Complete(head);
                    if (completed != head)
                    {
                        buffer.Remove(0, cursor).Insert(0, completed);
                        cursor = completed.Length;
                    }
                    else if (lastWasTab)
                    {
                        Console.WriteLine();
                        Console.WriteLine(string.Join("  ", completer.Candidates(head)));
                    }

                    break;
                case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control) && buffer.Length == 0:
                    Console.WriteLine();
                    return null;
                default:
                    if (!char.IsControl(key.KeyChar))
                    {
                        buffer.Insert(cursor++, key.KeyChar);
                    }

                    break;
            }

            lastWasTab = wasTab;
            Redraw(prompt, buffer, cursor);
        }
    }

    private static void Replace(StringBuilder buffer, string text, ref int cursor)
    {
        buffer.Clear().Append(text);
        cursor = text.Length;
    }

    private static void Redraw(string prompt, StringBuilder buffer, int cursor)
    {
        Console.Write("\r\u001b[2K" + prompt + buffer);
        var back = buffer.Length - cursor;
        if (back > 0)
        {
            Console.Write($"\u001b[{back}D");
        }
    }

    private void Remember(string line)
    {
        if (string.IsNullOrWhiteSpace(line) || (_history.Count > 0 && _history[^1] == line))
        {
            return;
        }

        _history.Add(line);
        if (_history.Count > HistoryLimit)
        {
            _history.RemoveRange(0, _history.Count - HistoryLimit);
        }

        try
        {
            File.WriteAllLines(historyFile, _history);
        }
        catch (IOException)
        {
            // history is a convenience; a read-only home must not stop the prompt
        }
    }

    private static List<string> Load(string file)
    {
        try
        {
            return File.Exists(file) ? File.ReadAllLines(file).TakeLast(HistoryLimit).ToList() : [];
        }
        catch (IOException)
        {
            return [];
        }
    }
}
