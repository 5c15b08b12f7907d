using System.Text;
using Spectre.Console;

namespace AkkaChat.Cli.Chat;

/// <summary>
/// What is being typed in a chat: capped at what one message can hold (UTF-8 bytes), with the
/// prompt row it shows. Every operation costs at most the width of the row, whatever the length of
/// the input, so a pasted 66 KB line is taken in linear time.
/// </summary>
public sealed class ChatInput(int maxBytes)
{
    private readonly StringBuilder _text = new();
    private char? _pendingHigh;

    public int MaxBytes { get; } = maxBytes;

    /// <summary>UTF-8 bytes typed so far.</summary>
    public int Bytes { get; private set; }

    /// <summary>Whether a key was refused because the input is full, since the last clear.</summary>
    public bool Full { get; private set; }

    public int Length => _text.Length;

    public string Text => _text.ToString();

    /// <summary>Adds a typed character; false (and nothing added) when it would pass the cap.</summary>
    public bool Append(char c)
    {
        if (char.IsHighSurrogate(c))
        {
            _pendingHigh = c; // wait for its low half: the pair is one character of 4 bytes
            return true;
        }

        var size = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        if (char.IsLowSurrogate(c))
        {
            if (_pendingHigh is null)
            {
                return false;
            }

            size = 4;
        }

        if (Bytes + size > MaxBytes)
        {
            _pendingHigh = null;
            Full = true;
            return false;
        }

        if (char.IsLowSurrogate(c))
        {
            _text.Append(_pendingHigh!.Value);
        }

        _pendingHigh = null;
        _text.Append(c);
        Bytes += size;
        return true;
    }

    public void Backspace()
    {
        if (_text.Length == 0)
        {
            return;
        }

        var pair = _text.Length > 1 && char.IsLowSurrogate(_text[^1]);
        var removed = pair ? 4 : _text[^1] < 0x80 ? 1 : _text[^1] < 0x800 ? 2 : 3;
        _text.Length -= pair ? 2 : 1;
        Bytes -= removed;
        Full = false;
    }

    public void Clear()
    {
        _text.Clear();
        Bytes = 0;
        Full = false;
        _pendingHigh = null;
    }

    /// <summary>Returns the text and empties the input.</summary>
    public string Take()
    {
        var text = Text;
        Clear();
        return text;
    }

    /// <summary>
    /// The prompt row for a terminal <paramref name="width"/> cells wide: the end of the input that
    /// fits, and once the input is longer than the row (or full) a counter, e.g.
    /// <c>[65,400/65,400 bytes, full]</c>. Walks back from the end at most one row's worth of characters.
    /// </summary>
    public (string Visible, string Counter) Row(int width)
    {
        var counter = string.Empty;
        var room = width - 1;
        var total = 0;
        var start = _text.Length;
        while (start > 0)
        {
            var take = start > 1 && char.IsLowSurrogate(_text[start - 1]) ? 2 : 1;
            var cells = _text.ToString(start - take, take).GetCellWidth();
            if (total + cells > room)
            {
                break;
            }

            total += cells;
            start -= take;
        }

        if (start > 0 || Full)
        {
            counter = $" [{MessageLimits.Format(Bytes)}/{MessageLimits.Format(MaxBytes)} bytes{(Full ? ", full" : string.Empty)}]";
            room -= counter.Length + 1; // and "…" in front
            while (total > Math.Max(room, 0) && start < _text.Length)
            {
                var take = char.IsHighSurrogate(_text[start]) && start + 1 < _text.Length ? 2 : 1;
                total -= _text.ToString(start, take).GetCellWidth();
                start += take;
            }

            return ("…" + _text.ToString(start, _text.Length - start), counter);
        }

        return (_text.ToString(), counter);
    }
}
