using System.Threading.Channels;
using AkkaChat.Client;
using AkkaChat.Protocol;

namespace AkkaChat.Cli.Chat;

/// <summary>
/// Typing indicators in <c>akkachat chat</c>: TYPING sent while the user types (<see cref="OwnTyping"/>),
/// and the peer's TYPING_NOTIFY shown by the view while they type (<see cref="PeerTyping"/>). Only
/// notifications about this chat count: from the peer in a one-to-one chat, from members with this
/// group's id in a group chat. Indicators are never worth waiting for: a state that cannot be written now is dropped, and
/// when writing falls behind the oldest states not yet written are dropped first.
/// </summary>
public sealed class ChatTyping : IAsyncDisposable
{
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(500);

    private readonly ChatSession _session;
    private readonly ChatAddress _peer;
    private readonly IChatView _view;
    private readonly object _gate = new();
    private readonly OwnTyping _own = new();
    private readonly PeerTyping _others = new();
    // A few states in order (COMPOSING then PAUSED of a burst both go); if writing falls behind, the oldest go first.
    private readonly Channel<TypingState> _outgoing = Channel.CreateBounded<TypingState>(new BoundedChannelOptions(4) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sending;
    private readonly Task _ticking;

    public ChatTyping(ChatSession session, ChatAddress peer, IChatView view)
    {
        _session = session;
        _peer = peer;
        _view = view;
        _view.Typed += KeyTyped;
        _sending = Task.Run(SendAsync);
        _ticking = Task.Run(TickAsync);
    }

    /// <summary>The user sent the line being typed.</summary>
    public void LineSent()
    {
        lock (_gate)
        {
            Queue(_own.LineSent());
        }
    }

    /// <summary>A TYPING_NOTIFY for this session; shown when it is about this chat.</summary>
    public void Received(TypingChanged typing)
    {
        var ours = _peer.IsGroup ? typing.GroupId == _peer.GroupId : typing.GroupId.Length == 0 && typing.From == _peer.Value;
        if (!ours)
        {
            return;
        }

        lock (_gate)
        {
            if (_others.Notified(typing.From, typing.State, DateTimeOffset.UtcNow))
            {
                _view.ShowTyping(_others.Text);
            }
        }
    }

    /// <summary>A message of this chat arrived from <paramref name="from"/>: they are done typing it.</summary>
    public void MessageFrom(string from)
    {
        lock (_gate)
        {
            if (_others.MessageFrom(from))
            {
                _view.ShowTyping(_others.Text);
            }
        }
    }

    private void KeyTyped()
    {
        lock (_gate)
        {
            Queue(_own.KeyTyped(DateTimeOffset.UtcNow));
        }
    }

    private void Queue(TypingState? state)
    {
        if (state is { } s)
        {
            _outgoing.Writer.TryWrite(s);
        }
    }

    private async Task SendAsync()
    {
        try
        {
            await foreach (var state in _outgoing.Reader.ReadAllAsync(_stop.Token))
            {
                try
                {
                    await _session.SendTypingAsync(_peer.Value, state);
                }
                catch (AkkaChatException)
                {
                    // the session ended; the chat reports that
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the chat is over
        }
    }

    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(TickInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var now = DateTimeOffset.UtcNow;
                lock (_gate)
                {
                    Queue(_own.Tick(now));
                    if (_others.Tick(now))
                    {
                        _view.ShowTyping(_others.Text);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the chat is over
        }
    }

    public async ValueTask DisposeAsync()
    {
        _view.Typed -= KeyTyped;
        await _stop.CancelAsync();
        await Task.WhenAll(_sending, _ticking);
        _stop.Dispose();
    }
}
