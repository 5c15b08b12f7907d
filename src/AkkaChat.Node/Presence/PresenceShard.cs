using AkkaChat.Node.Users;

namespace AkkaChat.Node.Presence;

/// <summary>
/// The presence shard region (type name <see cref="TypeName"/>): one <see cref="PresenceActor"/> per
/// phone, placed by the user shard function (<see cref="UserShard"/>), so its commands route by
/// <see cref="IWithUserId"/> exactly as the user actor's do. Registered under this key type.
/// </summary>
public sealed class PresenceShard
{
    public const string TypeName = "presence";
}

public sealed partial class SessionOpened : IWithUserId { string IWithUserId.UserId => Phone; }

public sealed partial class WatchPresence : IWithUserId { string IWithUserId.UserId => Phone; }

public sealed partial class RelayTyping : IWithUserId { string IWithUserId.UserId => Phone; }
