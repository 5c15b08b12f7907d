using Akka.Actor;
using Akka.Hosting;
using AkkaChat.Node.Auth;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Users;

namespace AkkaChat.Node.Web.Media;

/// <summary>Whether a phone and device token belong to a registered device (the media endpoints' check).</summary>
public interface IMediaAuthorizer
{
    Task<bool> IsAuthorizedAsync(string phone, byte[] token, CancellationToken cancellationToken);
}

/// <summary>
/// Asks the user's actor through the shard region whether the token's SHA-256 is one of its device
/// tokens (<see cref="CheckToken"/>); only the hash crosses nodes. This wakes the user's actor when it
/// is passivated; a directory of token hashes that answers without it can replace this class.
/// </summary>
internal sealed class UserShardMediaAuthorizer : IMediaAuthorizer
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly ActorRegistry _registry;

    public UserShardMediaAuthorizer(ActorRegistry registry) => _registry = registry;

    public async Task<bool> IsAuthorizedAsync(string phone, byte[] token, CancellationToken cancellationToken)
    {
        var users = await _registry.GetAsync<UserActor>(cancellationToken);
        var answer = await users.Ask<TokenChecked>(
            new CheckToken { Phone = phone, TokenHash = Google.Protobuf.ByteString.CopyFrom(DeviceTokens.Hash(token)) },
            Timeout,
            cancellationToken);
        return answer.Valid;
    }
}
