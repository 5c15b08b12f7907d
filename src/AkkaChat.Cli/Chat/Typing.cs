using AkkaChat.Protocol;

namespace AkkaChat.Cli.Chat;

/// <summary>
/// When the chat sends TYPING for what the user types (pure; the caller sends what it answers).
/// The first key after idle sends COMPOSING; while keys keep coming, COMPOSING again every
/// <see cref="Refresh"/> (so a peer that joined late, or whose indicator expired, sees it); no key for
/// <see cref="PauseAfter"/>, or the line sent, sends PAUSED. A burst of keys costs one frame.
/// </summary>
public sealed class OwnTyping
{
    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan PauseAfter = TimeSpan.FromSeconds(3);

    private bool _composing;
    private DateTimeOffset _lastKey;
    private DateTimeOffset _lastSent;

    /// <summary>A key changed the input; COMPOSING when one is due.</summary>
    public TypingState? KeyTyped(DateTimeOffset now)
    {
        _lastKey = now;
        if (_composing && now - _lastSent < Refresh)
        {
            return null;
        }

        _composing = true;
        _lastSent = now;
        return TypingState.Composing;
    }

    /// <summary>Time passed; PAUSED once the user stopped typing for <see cref="PauseAfter"/>.</summary>
    public TypingState? Tick(DateTimeOffset now) => _composing && now - _lastKey >= PauseAfter ? Stop() : null;

    /// <summary>The line was sent (or the input emptied): PAUSED if COMPOSING was sent.</summary>
    public TypingState? LineSent() => _composing ? Stop() : null;

    private TypingState Stop()
    {
        _composing = false;
        return TypingState.Paused;
    }
}

/// <summary>
/// Who is typing in this chat, from TYPING_NOTIFY (pure). An indicator ends with PAUSED, with a
/// message from that person, or after <see cref="Expiry"/> without news (a PAUSED that never came:
/// the peer's connection dropped). <see cref="Text"/> is what the view shows, empty when nobody types.
/// </summary>
public sealed class PeerTyping
{
    public static readonly TimeSpan Expiry = TimeSpan.FromSeconds(10);

    // Insertion order is the order they started typing.
    private readonly Dictionary<string, (TypingState State, DateTimeOffset At)> _typing = new(StringComparer.Ordinal);

    public string Text { get; private set; } = string.Empty;

    /// <summary>A TYPING_NOTIFY; true when <see cref="Text"/> changed.</summary>
    public bool Notified(string from, TypingState state, DateTimeOffset now)
    {
        if (state == TypingState.Paused)
        {
            _typing.Remove(from);
        }
        else
        {
            _typing[from] = (state, now);
        }

        return Render();
    }

    /// <summary>A message from <paramref name="from"/> arrived: it is done typing. True when <see cref="Text"/> changed.</summary>
    public bool MessageFrom(string from) => _typing.Remove(from) && Render();

    /// <summary>Time passed: indicators older than <see cref="Expiry"/> end. True when <see cref="Text"/> changed.</summary>
    public bool Tick(DateTimeOffset now)
    {
        var expired = _typing.Where(t => now - t.Value.At >= Expiry).Select(t => t.Key).ToArray();
        foreach (var from in expired)
        {
            _typing.Remove(from);
        }

        return expired.Length > 0 && Render();
    }

    private bool Render()
    {
        var text = string.Join(", ", _typing.Select(t => $"{t.Key} is {(t.Value.State == TypingState.Recording ? "recording a voice message" : "typing")}…"));
        if (text == Text)
        {
            return false;
        }

        Text = text;
        return true;
    }
}
