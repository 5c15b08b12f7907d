using AkkaChat.Node.Users;

namespace AkkaChat.Node.Keys.Contracts;

// The commands to a key store entity name their user, which places them on the "keys" shards.

public sealed partial class StoreKeys : IWithUserId
{
    public string UserId => Phone;
}

public sealed partial class FetchBundle : IWithUserId
{
    public string UserId => Phone;
}

public sealed partial class OwnerLoggedIn : IWithUserId
{
    public string UserId => Phone;
}
