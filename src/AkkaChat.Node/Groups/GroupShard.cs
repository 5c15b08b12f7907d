using Akka.Cluster.Sharding;
using AkkaChat.Node.Users;

namespace AkkaChat.Node.Groups;

/// <summary>A message for the GroupActor of one group id; drives <see cref="GroupShard"/>.</summary>
public interface IWithGroupId
{
    string GroupId { get; }
}

/// <summary>
/// Places groups on shards: entity id = the group id (random, opaque), shard id = the same fixed
/// FNV-1a hash users are placed by (<see cref="UserShard.ShardIdOf"/>) modulo the shard count.
/// </summary>
public sealed class GroupShard : IMessageExtractor
{
    public const string TypeName = "group";

    public string? EntityId(object message) => (message as IWithGroupId)?.GroupId;

    public object? EntityMessage(object message) => message;

    public string? ShardId(object message) => message is IWithGroupId m ? UserShard.ShardIdOf(m.GroupId) : null;

    public string ShardId(string entityId, object? messageHint = null) => UserShard.ShardIdOf(entityId);
}
