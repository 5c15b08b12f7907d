using System.Security.Cryptography;
using NSec.Cryptography;

namespace AkkaChat.Client.Encryption;

/// <summary>An X25519 key pair as raw bytes (32-byte private scalar, 32-byte public u-coordinate).</summary>
internal sealed record DhKeyPair(byte[] Private, byte[] Public)
{
    public static DhKeyPair Generate()
    {
        var exportable = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        using var key = Key.Create(KeyAgreementAlgorithm.X25519, exportable);
        return new DhKeyPair(
            key.Export(KeyBlobFormat.RawPrivateKey),
            key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }
}

/// <summary>
/// The primitives of docs/e2e.md, all on libsodium through NSec: X25519, Ed25519, HKDF-SHA256,
/// HMAC-SHA256 and ChaCha20-Poly1305 (IETF, 96-bit nonce). Keys are held as raw bytes so that
/// session state stays plain data that can be copied and persisted; NSec keys live only for the
/// duration of one operation.
/// </summary>
internal static class Primitives
{
    public const int KeyLength = 32;
    public const int SignatureLength = 64;
    public const int NonceLength = 12;
    public const int TagLength = 16;

    private static readonly AeadAlgorithm Aead = AeadAlgorithm.ChaCha20Poly1305;

    /// <summary>X25519(private, public). A public key of small order (all-zero output) is refused.</summary>
    public static byte[] Dh(byte[] privateKey, ReadOnlySpan<byte> publicKey)
    {
        using var key = Key.Import(KeyAgreementAlgorithm.X25519, privateKey, KeyBlobFormat.RawPrivateKey);
        var peer = ImportDhPublic(publicKey);
        var exportable = new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        using var secret = KeyAgreementAlgorithm.X25519.Agree(key, peer, exportable)
            ?? throw new CryptographicException("X25519 with this public key gives no shared secret (small-order point).");
        return secret.Export(SharedSecretBlobFormat.RawSharedSecret);
    }

    public static PublicKey ImportDhPublic(ReadOnlySpan<byte> publicKey) =>
        PublicKey.TryImport(KeyAgreementAlgorithm.X25519, publicKey, KeyBlobFormat.RawPublicKey, out var key) && key is not null
            ? key
            : throw new FormatException($"Not an X25519 public key ({publicKey.Length} bytes, 32 expected).");

    public static (byte[] Seed, byte[] Public) GenerateSigningKey()
    {
        var exportable = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        using var key = Key.Create(SignatureAlgorithm.Ed25519, exportable);
        return (key.Export(KeyBlobFormat.RawPrivateKey), key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public static byte[] SigningPublicFromSeed(byte[] seed)
    {
        using var key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
        return key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public static byte[] DhPublicFromPrivate(byte[] privateKey)
    {
        using var key = Key.Import(KeyAgreementAlgorithm.X25519, privateKey, KeyBlobFormat.RawPrivateKey);
        return key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public static byte[] Sign(byte[] seed, ReadOnlySpan<byte> data)
    {
        using var key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
        return SignatureAlgorithm.Ed25519.Sign(key, data);
    }

    public static bool Verify(ReadOnlySpan<byte> signingPublic, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        PublicKey.TryImport(SignatureAlgorithm.Ed25519, signingPublic, KeyBlobFormat.RawPublicKey, out var key)
        && key is not null
        && signature.Length == SignatureLength
        && SignatureAlgorithm.Ed25519.Verify(key, data, signature);

    /// <summary>HKDF-SHA256 (RFC 5869): extract with <paramref name="salt"/>, expand to <paramref name="length"/> bytes.</summary>
    public static byte[] Hkdf(ReadOnlySpan<byte> inputKeyMaterial, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info, int length) =>
        KeyDerivationAlgorithm.HkdfSha256.DeriveBytes(inputKeyMaterial, salt, info, length);

    public static byte[] HmacSha256(byte[] key, ReadOnlySpan<byte> data) => HMACSHA256.HashData(key, data);

    /// <summary>ChaCha20-Poly1305 sealing: ciphertext followed by the 16-byte tag.</summary>
    public static byte[] Seal(byte[] key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext)
    {
        using var k = Key.Import(Aead, key, KeyBlobFormat.RawSymmetricKey);
        return Aead.Encrypt(k, nonce, associatedData, plaintext);
    }

    /// <summary>Opens a sealed message; null when the tag does not verify (forged, tampered or wrong key).</summary>
    public static byte[]? Open(byte[] key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedMessage)
    {
        if (sealedMessage.Length < TagLength) return null;
        using var k = Key.Import(Aead, key, KeyBlobFormat.RawSymmetricKey);
        var plaintext = new byte[sealedMessage.Length - TagLength];
        return Aead.Decrypt(k, nonce, associatedData, sealedMessage, plaintext) ? plaintext : null;
    }
}
