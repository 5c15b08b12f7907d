using AkkaChat.Protocol.Messages;
using NSec.Cryptography;

namespace AkkaChat.Node.Keys;

/// <summary>
/// The checks a KEYS_UPLOAD must pass (docs/e2e.md, "What the node verifies"): sizes, and the
/// signed prekey's Ed25519 signature by the identity signing key (bytes 32-63 of identity_key)
/// over the prekey's 32 raw bytes. The SDK checks every KEY_BUNDLE the same way.
/// </summary>
public static class KeyValidation
{
    public const int IdentityKeyBytes = 64;
    public const int PublicKeyBytes = 32;
    public const int SignatureBytes = 64;

    /// <summary>Null when <paramref name="upload"/> is acceptable; otherwise why not (for ERROR{BAD_REQUEST}).</summary>
    public static string? Problem(KeysUpload upload)
    {
        if (upload.IdentityKey.Length != IdentityKeyBytes)
        {
            return $"identity_key is {upload.IdentityKey.Length} bytes; it must be {IdentityKeyBytes} (X25519 then Ed25519 public key)";
        }

        if (upload.SignedPrekey is not { } signed)
        {
            return "signed_prekey is missing";
        }

        if (signed.PublicKey.Length != PublicKeyBytes || signed.Signature.Length != SignatureBytes)
        {
            return $"signed_prekey must have a {PublicKeyBytes}-byte public_key and a {SignatureBytes}-byte signature";
        }

        var identity = upload.IdentityKey.Span;
        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, identity[PublicKeyBytes..], KeyBlobFormat.RawPublicKey, out var signer) || signer is null ||
            !SignatureAlgorithm.Ed25519.Verify(signer, signed.PublicKey.Span, signed.Signature.Span))
        {
            return "the signed prekey's signature does not verify with identity_key's signing key";
        }

        foreach (var prekey in upload.OneTimePrekeys)
        {
            if (prekey.PublicKey.Length != PublicKeyBytes)
            {
                return $"one-time prekey {prekey.Id}: public_key is {prekey.PublicKey.Length} bytes; it must be {PublicKeyBytes}";
            }
        }

        return null;
    }
}
