using AkkaChat.Node.Presence;

namespace AkkaChat.Node.Tests.Presence;

public sealed class PresenceStateTests
{
    private const string Alice = "+447700900123";

    private sealed class Conn(string name)
    {
        public override string ToString() => name;
    }

    [Fact]
    public void A_user_never_seen_is_offline_with_no_last_seen()
    {
        var state = new PresenceState<Conn>(Alice);

        var current = state.Watch(new Conn("watcher"));

        Assert.Equal(Alice, current.Phone);
        Assert.False(current.Online);
        Assert.Equal(0, current.LastSeenMs);
    }

    [Fact]
    public void Opening_a_session_makes_the_user_online_and_is_a_change_for_watchers()
    {
        var state = new PresenceState<Conn>(Alice);
        state.Watch(new Conn("watcher"));

        var change = state.SessionOpened(new Conn("session"));

        Assert.NotNull(change);
        Assert.True(change.Online);
        Assert.Equal(0, change.LastSeenMs);
        Assert.True(state.Current().Online);
    }

    [Fact]
    public void Closing_the_session_makes_the_user_offline_last_seen_at_the_close()
    {
        var state = new PresenceState<Conn>(Alice);
        var session = new Conn("session");
        state.SessionOpened(session);

        var change = state.ConnectionClosed(session, nowMs: 1_700_000_000_000);

        Assert.NotNull(change);
        Assert.False(change.Online);
        Assert.Equal(1_700_000_000_000, change.LastSeenMs);
    }

    [Fact]
    public void A_replaced_session_is_no_change_and_its_close_keeps_the_user_online()
    {
        var state = new PresenceState<Conn>(Alice);
        var older = new Conn("older");
        var newer = new Conn("newer");
        state.SessionOpened(older);

        Assert.Null(state.SessionOpened(newer));
        Assert.Null(state.ConnectionClosed(older, nowMs: 5));
        Assert.True(state.Online);
        Assert.Same(newer, state.Session);
    }

    [Fact]
    public void A_closed_watcher_stops_watching()
    {
        var state = new PresenceState<Conn>(Alice);
        var watcher = new Conn("watcher");
        state.Watch(watcher);

        state.ConnectionClosed(watcher, nowMs: 5);

        Assert.Empty(state.Watchers);
        Assert.True(state.Empty);
    }

    [Fact]
    public void An_offline_user_seen_before_is_idle_but_not_empty()
    {
        var state = new PresenceState<Conn>(Alice);
        var session = new Conn("session");
        state.SessionOpened(session);
        state.ConnectionClosed(session, nowMs: 42);

        Assert.True(state.Idle);
        Assert.False(state.Empty);
        Assert.Equal(42, state.Watch(new Conn("later")).LastSeenMs);
    }
}
