using Spectre.Console;

namespace AkkaChat.Cli.Chat;

/// <summary>How far a sent line got. Only ever advances.</summary>
public enum LineState
{
    /// <summary>Written, or waiting to be written; no SEND_ACK yet.</summary>
    Sending,
    /// <summary>SEND_ACK: the node stored it.</summary>
    Sent,
    /// <summary>RECEIPT{DELIVERED}: the recipient's device has it.</summary>
    Delivered,
    /// <summary>RECEIPT{READ}.</summary>
    Read,
    /// <summary>The node refused it (NOT_FOUND, RATE_LIMITED, ...).</summary>
    Failed,
}

/// <summary>
/// A line the user sent in a chat, and its state. Thread-safe. In a group chat
/// (<paramref name="recipients"/> above 0, the other members when it was sent) it also counts the
/// members that got it and read it, one receipt per member.
/// </summary>
public sealed class SentLine(string clientMsgId, string text, DateTimeOffset at, int recipients = 0)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, LineState> _byMember = new(StringComparer.Ordinal);
    private LineState _state = LineState.Sending;

    public int Recipients { get; } = recipients;

    /// <summary>
    /// A group member's receipt; true when it changed the counts. The line's own state becomes
    /// Delivered (Read) once every recipient delivered (read) it.
    /// </summary>
    public bool RecordReceipt(string by, LineState state)
    {
        lock (_gate)
        {
            if (_state == LineState.Failed || (_byMember.TryGetValue(by, out var known) && known >= state))
            {
                return false;
            }

            _byMember[by] = state;
            var (delivered, read) = CountLocked();
            var reached = read >= Recipients ? LineState.Read : delivered >= Recipients ? LineState.Delivered : LineState.Sent;
            if (reached > _state)
            {
                _state = reached;
            }

            return true;
        }
    }

    /// <summary>Members that got the line (DELIVERED or READ) and that read it.</summary>
    public (int Delivered, int Read) MemberCounts
    {
        get
        {
            lock (_gate)
            {
                return CountLocked();
            }
        }
    }

    /// <summary>The per-member marks of a group line, fixed width: <c>delivered 2/3 read 1/3</c>; empty for a one-to-one line.</summary>
    public string MemberMarks
    {
        get
        {
            if (Recipients == 0)
            {
                return string.Empty;
            }

            var (delivered, read) = MemberCounts;
            var width = Recipients.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
            return $"delivered {delivered.ToString().PadLeft(width)}/{Recipients} read {read.ToString().PadLeft(width)}/{Recipients}";
        }
    }

    private (int Delivered, int Read) CountLocked() =>
        (_byMember.Values.Count(s => s >= LineState.Delivered), _byMember.Values.Count(s => s == LineState.Read));

    public string ClientMsgId { get; } = clientMsgId;

    public string Text { get; } = text;

    public DateTimeOffset At { get; } = at;

    public string? Error { get; private set; }

    public LineState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>Where a terminal view drew it: its first row, counted from the top of the chat, and its height in rows.</summary>
    public (long Row, int Height) Position { get; set; }

    /// <summary>Moves to <paramref name="state"/> unless it is already there or further; true when it moved.</summary>
    public bool Advance(LineState state)
    {
        lock (_gate)
        {
            if (_state == LineState.Failed || state <= _state)
            {
                return false;
            }

            _state = state;
            return true;
        }
    }

    public void Fail(string error)
    {
        lock (_gate)
        {
            _state = LineState.Failed;
            Error = error;
        }
    }
}

/// <summary>What a chat shows: the lines sent, the peer's messages, notices, and where typed lines come from.</summary>
public interface IChatView : IDisposable
{
    /// <summary>The next line typed; null at the end of input (Ctrl+D).</summary>
    Task<string?> ReadLineAsync(CancellationToken ct);

    /// <summary>A line the user just sent.</summary>
    void Show(SentLine line);

    /// <summary>The state of a line shown earlier changed.</summary>
    void Update(SentLine line);

    void Incoming(string from, string text, DateTimeOffset at);

    /// <summary>Anything else worth a line, in Spectre markup.</summary>
    void Notice(string markup);

    /// <summary>Who is typing (<see cref="PeerTyping.Text"/>), shown until the next call; empty when nobody is.</summary>
    void ShowTyping(string text);

    /// <summary>Raised (on the input thread, must not block) when a key changed a non-empty input: the user is typing.</summary>
    event Action? Typed;
}

/// <summary>
/// The chat when standard input or output is not a terminal: every change is a new line on
/// standard output, the sent line again with its new mark, e.g. <c>12:01:02 you: hi  ✓✓ read</c>;
/// notices go to standard error. Typed lines are read from standard input.
/// </summary>
public sealed class PlainChatView : IChatView
{
    private readonly object _gate = new();

    // A read of standard input does not stop when cancelled, so the wait for it is cancelled instead:
    // the chat can end (REPLACED, Ctrl+C) while no line is coming.
    public Task<string?> ReadLineAsync(CancellationToken ct) => Task.Run(Console.In.ReadLine, CancellationToken.None).WaitAsync(ct);

    public void Show(SentLine line) => Update(line);

    public void Update(SentLine line) => Write($"{Output.Time(line.At)} you: {line.Text}  {Mark(line)}{(line.Recipients > 0 && line.State != LineState.Failed ? "  " + line.MemberMarks : string.Empty)}");

    public void Incoming(string from, string text, DateTimeOffset at) => Write($"{Output.Time(at)} {from}: {text}");

    /// <summary>Each change is a notice: <c>typing: +15550002 is typing…</c>, then <c>typing: nobody</c>.</summary>
    public void ShowTyping(string text) => Notice($"typing: {(text.Length > 0 ? text : "nobody")}".EscapeMarkup());

    /// <summary>Lines are read whole from standard input: there are no keys to report.</summary>
    public event Action? Typed
    {
        add { }
        remove { }
    }

    public void Notice(string markup)
    {
        lock (_gate)
        {
            Output.Notice(markup);
        }
    }

    private void Write(string text)
    {
        lock (_gate)
        {
            Output.Raw(text);
        }
    }

    private static string Mark(SentLine line) => line.State switch
    {
        LineState.Sending => "…",
        LineState.Sent => "✓",
        LineState.Delivered => "✓✓",
        LineState.Read => "✓✓ read",
        _ => $"✗ {line.Error}",
    };

    public void Dispose()
    {
    }
}
