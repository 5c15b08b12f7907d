using System.Security.Cryptography;

namespace AkkaChat.Node.Auth;

/// <summary>
/// A 6-digit registration code: valid for a limited time and a limited number of wrong tries.
/// Held in memory by the user's actor only, which does not passivate while its code can still be
/// used (so a user may take the whole TTL to type it); a node restart voids outstanding codes.
/// </summary>
public sealed class VerificationCode
{
    private VerificationCode(string code, DateTimeOffset expiresAt, int triesLeft)
    {
        Code = code;
        ExpiresAt = expiresAt;
        TriesLeft = triesLeft;
    }

    public string Code { get; }

    public DateTimeOffset ExpiresAt { get; }

    public int TriesLeft { get; private set; }

    public static VerificationCode Issue(DateTimeOffset now, TimeSpan ttl, int maxTries) =>
        new(RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6"), now + ttl, maxTries);

    /// <summary>Whether the right code would still be accepted at <paramref name="now"/>.</summary>
    public bool IsUsable(DateTimeOffset now) => TriesLeft > 0 && now < ExpiresAt;

    /// <summary>
    /// Checks a try. A wrong try uses one up; once none are left, or the code expired, even the right
    /// code fails and the user must request a new one.
    /// </summary>
    public bool TryVerify(string candidate, DateTimeOffset now)
    {
        if (TriesLeft <= 0 || now >= ExpiresAt)
        {
            return false;
        }

        if (CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.ASCII.GetBytes(candidate ?? string.Empty),
                System.Text.Encoding.ASCII.GetBytes(Code)))
        {
            TriesLeft = 0; // single use
            return true;
        }

        TriesLeft--;
        return false;
    }
}
