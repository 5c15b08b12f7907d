namespace AkkaChat.Node.Users;

/// <summary>
/// A message for the UserActor of one phone number. Drives the shard message extractor
/// (<see cref="UserShard"/>); every such message is a protobuf contract in Proto/internal.proto.
/// </summary>
public interface IWithUserId
{
    string UserId { get; }
}
