using PresenceFrame = AkkaChat.Protocol.Messages.Presence;

namespace AkkaChat.Node.Presence;

/// <summary>
/// One user's presence, pure: the open session (if any), when the last one closed, and who watches.
/// Lives in memory only (<see cref="PresenceActor"/>): a change costs one message per watcher and no
/// journal write. Each method returns the PRESENCE every watcher must now be told, or null when
/// nothing a watcher can see changed.
/// <para>Online means a logged-in session is open. A replaced session changes nothing: the newer
/// one opens before the older one closes, and the older one's close is then not this user's.</para>
/// </summary>
/// <typeparam name="TConnection">What a session or watcher is (an actor ref; a plain object in tests).</typeparam>
public sealed class PresenceState<TConnection>(string phone)
    where TConnection : class
{
    private readonly HashSet<TConnection> _watchers = new();

    public string Phone { get; } = phone;

    /// <summary>The user's logged-in connection, null while offline.</summary>
    public TConnection? Session { get; private set; }

    public bool Online => Session is not null;

    /// <summary>When the user's last session closed (Unix ms); 0 when not known (online, or not seen since this entity started).</summary>
    public long LastSeenMs { get; private set; }

    public IReadOnlyCollection<TConnection> Watchers => _watchers;

    /// <summary>Nothing to serve: offline and nobody watching.</summary>
    public bool Idle => Session is null && _watchers.Count == 0;

    /// <summary>Idle and nothing to remember either: the entity can stop at once.</summary>
    public bool Empty => Idle && LastSeenMs == 0;

    /// <summary>The PRESENCE a watcher sees now.</summary>
    public PresenceFrame Current() => new() { Phone = Phone, Online = Online, LastSeenMs = Online ? 0 : LastSeenMs };

    /// <summary><paramref name="connection"/> logged in as this user (or replaced its older session).</summary>
    public PresenceFrame? SessionOpened(TConnection connection)
    {
        var wasOnline = Online;
        Session = connection;
        return wasOnline ? null : Current();
    }

    /// <summary>
    /// <paramref name="connection"/> terminated at <paramref name="nowMs"/>: if it was the session,
    /// the user is offline, last seen now. It stops watching in any case.
    /// </summary>
    public PresenceFrame? ConnectionClosed(TConnection connection, long nowMs)
    {
        _watchers.Remove(connection);
        if (!ReferenceEquals(Session, connection) && !Equals(Session, connection))
        {
            return null;
        }

        Session = null;
        LastSeenMs = nowMs;
        return Current();
    }

    /// <summary><paramref name="watcher"/> watches from now on; answers what it sees now.</summary>
    public PresenceFrame Watch(TConnection watcher)
    {
        _watchers.Add(watcher);
        return Current();
    }
}
