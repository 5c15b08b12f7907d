namespace AkkaChat.Client.Encryption;

/// <summary>
/// A user's public identity as it travels in KEYS_UPLOAD.identity_key and KEY_BUNDLE.identity_key:
/// 64 bytes, the X25519 identity key (bytes 0-31, used in X3DH) followed by the Ed25519 identity
/// signing key (bytes 32-63, which signs the signed prekey). Signal uses one key for both (XEdDSA);
/// NSec has no XEdDSA, so AkkaChat carries two. Equal identities are equal byte strings.
/// </summary>
public sealed class IdentityKey : IEquatable<IdentityKey>
{
    public const int Length = 2 * Primitives.KeyLength;

    private readonly byte[] _bytes;

    private IdentityKey(byte[] bytes) => _bytes = bytes;

    /// <summary>The X25519 public key (bytes 0-31).</summary>
    public ReadOnlySpan<byte> DhKey => _bytes.AsSpan(0, Primitives.KeyLength);

    /// <summary>The Ed25519 public key (bytes 32-63).</summary>
    public ReadOnlySpan<byte> SigningKey => _bytes.AsSpan(Primitives.KeyLength, Primitives.KeyLength);

    /// <summary>Reads the 64-byte encoding; anything of another length, or not two valid public keys, is a <see cref="FormatException"/>.</summary>
    public static IdentityKey Parse(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length != Length)
            throw new FormatException($"An identity key is {Length} bytes (X25519 || Ed25519), not {encoded.Length}.");
        Primitives.ImportDhPublic(encoded[..Primitives.KeyLength]);
        if (!NSec.Cryptography.PublicKey.TryImport(NSec.Cryptography.SignatureAlgorithm.Ed25519, encoded[Primitives.KeyLength..],
                NSec.Cryptography.KeyBlobFormat.RawPublicKey, out _))
            throw new FormatException("The identity key's bytes 32-63 are not an Ed25519 public key.");
        return new IdentityKey(encoded.ToArray());
    }

    internal static IdentityKey From(byte[] dhPublic, byte[] signingPublic) => new([.. dhPublic, .. signingPublic]);

    public byte[] ToByteArray() => (byte[])_bytes.Clone();

    /// <summary>Whether <paramref name="signature"/> is this identity's Ed25519 signature of <paramref name="data"/>.</summary>
    public bool Verifies(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) => Primitives.Verify(SigningKey, data, signature);

    public bool Equals(IdentityKey? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    public override bool Equals(object? obj) => Equals(obj as IdentityKey);

    public override int GetHashCode() => BitConverter.ToInt32(_bytes, 0);

    public override string ToString() => $"IdentityKey {Convert.ToHexString(_bytes, 0, 8).ToLowerInvariant()}...";
}
