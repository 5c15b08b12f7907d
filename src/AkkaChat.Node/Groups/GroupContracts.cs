using AkkaChat.Node.Groups;
using AkkaChat.Node.Users;

// Binds the generated contracts of Groups/Proto/groups.proto to the shard extractors.
namespace AkkaChat.Node.Groups.Contracts
{

public sealed partial class CreateGroup : IWithGroupId;

public sealed partial class UpdateGroup : IWithGroupId;

public sealed partial class GetGroup : IWithGroupId;

public sealed partial class PostGroupMessage : IWithGroupId;

public sealed partial class GroupTyping : IWithGroupId;

public sealed partial class GroupItemsStored : IWithGroupId;

public sealed partial class GroupItemsAcknowledged : IWithGroupId;

public sealed partial class FetchGroupBodies : IWithGroupId;

public sealed partial class QueueGroupItem : IWithUserId { string IWithUserId.UserId => Phone; }

public sealed partial class GroupBodies : IWithUserId { string IWithUserId.UserId => Phone; }
}

namespace AkkaChat.Node.Groups
{
    using AkkaChat.Node.Groups.Contracts;

    internal static class GroupContracts
    {
        /// <summary>The groups module's manifests in the node's serializer, all starting with "g"; fixed forever.</summary>
        internal static void RegisterManifests(Action<Type, string, Google.Protobuf.MessageParser> register)
        {
            register(typeof(CreateGroup), "gc", CreateGroup.Parser);
            register(typeof(UpdateGroup), "gu", UpdateGroup.Parser);
            register(typeof(GetGroup), "gg", GetGroup.Parser);
            register(typeof(PostGroupMessage), "gp", PostGroupMessage.Parser);
            register(typeof(GroupTyping), "gt", GroupTyping.Parser);
            register(typeof(GroupItemsStored), "gis", GroupItemsStored.Parser);
            register(typeof(GroupItemsAcknowledged), "gia", GroupItemsAcknowledged.Parser);
            register(typeof(FetchGroupBodies), "gfb", FetchGroupBodies.Parser);
            register(typeof(QueueGroupItem), "gq", QueueGroupItem.Parser);
            register(typeof(GroupBodies), "gb", GroupBodies.Parser);
            register(typeof(GroupItemQueued), "e-gi", GroupItemQueued.Parser);
            register(typeof(GroupCreated), "e-gc", GroupCreated.Parser);
            register(typeof(GroupChanged), "e-gx", GroupChanged.Parser);
            register(typeof(GroupMessagePosted), "e-gm", GroupMessagePosted.Parser);
            register(typeof(DeliveryProgressed), "e-gd", DeliveryProgressed.Parser);
            register(typeof(GroupMessagesExpired), "e-ge", GroupMessagesExpired.Parser);
            register(typeof(GroupSnapshot), "s-g", GroupSnapshot.Parser);
        }
    }
}
