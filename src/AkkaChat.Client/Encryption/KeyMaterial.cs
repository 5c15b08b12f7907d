namespace AkkaChat.Client.Encryption;

/// <summary>This device's identity: the private halves of both identity keys.</summary>
internal sealed record IdentityKeyPair(byte[] DhPrivate, byte[] DhPublic, byte[] SigningSeed, byte[] SigningPublic)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public IdentityKey Public => IdentityKey.From(DhPublic, SigningPublic);

    public static IdentityKeyPair Generate()
    {
        var dh = DhKeyPair.Generate();
        var (seed, signing) = Primitives.GenerateSigningKey();
        return new IdentityKeyPair(dh.Private, dh.Public, seed, signing);
    }
}

/// <summary>
/// A signed prekey with its private part. The signature is the identity signing key's Ed25519
/// signature over the 32 raw bytes of <see cref="Public"/>, nothing else.
/// </summary>
internal sealed record SignedPreKeyRecord(uint Id, byte[] Private, byte[] Public, byte[] Signature, long CreatedAtMs);

/// <summary>A one-time prekey with its private part; deleted once a prekey message has used it.</summary>
internal sealed record OneTimePreKeyRecord(uint Id, byte[] Private, byte[] Public);

/// <summary>A peer's prekey bundle after its identity key and signed prekey signature were checked.</summary>
internal sealed record VerifiedBundle(
    IdentityKey Identity, uint SignedPreKeyId, byte[] SignedPreKey, uint? OneTimePreKeyId, byte[]? OneTimePreKey);
