using System.Text;
using Akka.Cluster.Sharding;
using AkkaChat.Node.Configuration;

namespace AkkaChat.Node.Users;

/// <summary>
/// Places users on shards: entity id = the E.164 phone number, shard id = FNV-1a 32-bit hash of its
/// UTF-8 bytes modulo <see cref="AkkaChatSettings.ShardCount"/>. The hash is fixed here rather than
/// taken from string.GetHashCode, which differs between processes.
/// </summary>
public sealed class UserShard : IMessageExtractor
{
    public const string TypeName = "user";

    public static string ShardIdOf(string phone)
    {
        const uint offsetBasis = 2166136261;
        const uint prime = 16777619;
        var hash = offsetBasis;
        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(phone.Length)];
        var length = Encoding.UTF8.GetBytes(phone, bytes);
        foreach (var b in bytes[..length])
        {
            hash = (hash ^ b) * prime;
        }

        return (hash % AkkaChatSettings.ShardCount).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    // ShardingEnvelope and StartEntity are unwrapped by Akka.NET itself before these are called.
    public string? EntityId(object message) => (message as IWithUserId)?.UserId;

    public object? EntityMessage(object message) => message;

    public string? ShardId(object message) => message is IWithUserId m ? ShardIdOf(m.UserId) : null;

    public string ShardId(string entityId, object? messageHint = null) => ShardIdOf(entityId);
}
