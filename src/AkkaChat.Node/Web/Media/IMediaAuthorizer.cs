using AkkaChat.Node.Auth;
using AkkaChat.Node.UserDirectory;

namespace AkkaChat.Node.Web.Media;

/// <summary>Whether a phone and device token belong to a registered device (the media endpoints' check).</summary>
public interface IMediaAuthorizer
{
    Task<bool> IsAuthorizedAsync(string phone, byte[] token, CancellationToken cancellationToken);
}

/// <summary>
/// Checks the token's SHA-256 against the user directory, so an upload or download never wakes
/// (or recovers the journal of) the user's actor. A token the cached entry does not hold, or an
/// entry not yet confirmed by the user's journal, is read again from the table: another node may
/// have issued the token a moment ago.
/// </summary>
internal sealed class DirectoryMediaAuthorizer(IUserDirectory directory) : IMediaAuthorizer
{
    public async Task<bool> IsAuthorizedAsync(string phone, byte[] token, CancellationToken cancellationToken)
    {
        var hash = DeviceTokens.Hash(token);
        var entry = await directory.FindAsync(phone, cancel: cancellationToken);
        if (entry is null)
        {
            return false; // not in the directory is final (it is a superset of the journals)
        }

        if (!entry.Confirmed || !entry.HasToken(hash))
        {
            entry = await directory.FindAsync(phone, refresh: true, cancel: cancellationToken);
        }

        return entry is { Confirmed: true } && entry.HasToken(hash);
    }
}
