namespace AkkaChat.Client.Encryption;

/// <summary>Why an envelope did not decrypt.</summary>
public enum DecryptFailure
{
    /// <summary>Not an envelope, truncated, or a field out of range.</summary>
    Malformed,
    /// <summary>The envelope's version byte is not one this SDK reads.</summary>
    UnsupportedVersion,
    /// <summary>The AEAD tag did not verify: the envelope was altered, or was not sealed for this session.</summary>
    Forged,
    /// <summary>The message key was already used: a replayed (or duplicated) envelope.</summary>
    Duplicate,
    /// <summary>Reading the message would skip more message keys than the bound allows.</summary>
    TooManySkipped,
    /// <summary>A Normal envelope from a peer with whom no session matches.</summary>
    NoSession,
    /// <summary>A PreKey envelope names a signed or one-time prekey this device does not hold (already used, or rotated out).</summary>
    UnknownPreKey,
    /// <summary>A group envelope holds nothing for this user.</summary>
    NotAddressedToMe,
}

/// <summary>
/// An envelope could not be decrypted. The session state is exactly as before the attempt: a bad
/// envelope never disturbs the messages that follow it.
/// </summary>
public sealed class DecryptionFailedException(DecryptFailure reason, string message) : Exception(message)
{
    public DecryptFailure Reason { get; } = reason;
}

/// <summary>
/// A peer's identity key is not the one this device trusted before (a new device, a reinstall, or
/// a server that substitutes keys). Nothing was encrypted or decrypted and nothing was stored; the
/// app shows the new <see cref="SafetyNumber"/> and calls <see cref="E2eEncryptor.TrustIdentityAsync"/>
/// if the user accepts it, then retries.
/// </summary>
public sealed class SafetyNumberChangedException(string peer, IdentityKey trusted, IdentityKey presented, string safetyNumber)
    : Exception($"The identity key of {peer} changed; the new safety number is {safetyNumber}.")
{
    public string Peer { get; } = peer;
    public IdentityKey Trusted { get; } = trusted;
    public IdentityKey Presented { get; } = presented;
    /// <summary>The safety number of this device and the presented identity (60 digits, see <see cref="Encryption.SafetyNumber"/>).</summary>
    public string SafetyNumber { get; } = safetyNumber;
}

/// <summary>A KEY_BUNDLE that cannot be used: wrong key sizes or a signed prekey signature that does not verify.</summary>
public sealed class InvalidKeyBundleException(string peer, string message) : Exception($"Key bundle of {peer}: {message}")
{
    public string Peer { get; } = peer;
}
