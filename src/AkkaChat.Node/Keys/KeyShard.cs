using Akka.Cluster.Sharding;
using AkkaChat.Node.Users;

namespace AkkaChat.Node.Keys;

/// <summary>
/// Places key stores on shards exactly as users are placed (<see cref="UserShard.ShardIdOf"/>), on
/// their own shard type: the key store of a user lives apart from its user actor.
/// </summary>
public sealed class KeyShard : IMessageExtractor
{
    public const string TypeName = "keys";

    public string? EntityId(object message) => (message as IWithUserId)?.UserId;

    public object? EntityMessage(object message) => message;

    public string? ShardId(object message) => message is IWithUserId m ? UserShard.ShardIdOf(m.UserId) : null;

    public string ShardId(string entityId, object? messageHint = null) => UserShard.ShardIdOf(entityId);
}
