using AkkaChat.Cli.Chat;
using AkkaChat.Protocol;

namespace AkkaChat.Cli.Tests;

/// <summary>When the chat sends TYPING for the user's keys, and what it shows for the peer's.</summary>
public sealed class TypingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_first_key_sends_composing_a_burst_sends_nothing_more_and_a_pause_sends_paused()
    {
        var own = new OwnTyping();

        Assert.Equal(TypingState.Composing, own.KeyTyped(T0));
        Assert.Null(own.KeyTyped(T0.AddMilliseconds(100)));
        Assert.Null(own.Tick(T0.AddSeconds(2)));
        Assert.Equal(TypingState.Paused, own.Tick(T0.AddMilliseconds(100) + OwnTyping.PauseAfter));
        Assert.Null(own.Tick(T0.AddSeconds(10)));
    }

    [Fact]
    public void Typing_on_sends_composing_again_every_refresh_and_sending_the_line_sends_paused_once()
    {
        var own = new OwnTyping();

        Assert.Equal(TypingState.Composing, own.KeyTyped(T0));
        Assert.Null(own.KeyTyped(T0.AddSeconds(2)));
        Assert.Equal(TypingState.Composing, own.KeyTyped(T0 + OwnTyping.Refresh));
        Assert.Equal(TypingState.Paused, own.LineSent());
        Assert.Null(own.LineSent());
        Assert.Null(own.Tick(T0.AddMinutes(1)));
        Assert.Equal(TypingState.Composing, own.KeyTyped(T0.AddMinutes(1)));
    }

    [Fact]
    public void The_peer_is_shown_typing_until_paused_or_a_message_and_recording_names_a_voice_message()
    {
        var peer = new PeerTyping();

        Assert.True(peer.Notified("+15550002", TypingState.Composing, T0));
        Assert.Equal("+15550002 is typing…", peer.Text);
        Assert.False(peer.Notified("+15550002", TypingState.Composing, T0.AddSeconds(1)));
        Assert.True(peer.Notified("+15550002", TypingState.Recording, T0.AddSeconds(2)));
        Assert.Equal("+15550002 is recording a voice message…", peer.Text);
        Assert.True(peer.Notified("+15550002", TypingState.Paused, T0.AddSeconds(3)));
        Assert.Equal(string.Empty, peer.Text);

        Assert.True(peer.Notified("+15550002", TypingState.Composing, T0.AddSeconds(4)));
        Assert.True(peer.MessageFrom("+15550002"));
        Assert.Equal(string.Empty, peer.Text);
        Assert.False(peer.MessageFrom("+15550002"));
    }

    [Fact]
    public void An_indicator_without_news_ends_after_the_expiry_and_group_members_are_listed_in_order()
    {
        var peer = new PeerTyping();
        peer.Notified("+15550002", TypingState.Composing, T0);
        peer.Notified("+15550003", TypingState.Composing, T0.AddSeconds(5));
        Assert.Equal("+15550002 is typing…, +15550003 is typing…", peer.Text);

        Assert.False(peer.Tick(T0 + PeerTyping.Expiry - TimeSpan.FromMilliseconds(1)));
        Assert.True(peer.Tick(T0 + PeerTyping.Expiry));
        Assert.Equal("+15550003 is typing…", peer.Text);
    }
}
