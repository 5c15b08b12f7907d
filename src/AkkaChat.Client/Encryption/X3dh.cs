using AkkaChat.Protocol.Messages;

namespace AkkaChat.Client.Encryption;

/// <summary>
/// X3DH (Signal, "The X3DH Key Agreement Protocol", rev. 1) with Curve25519 and SHA-256:
/// <code>
/// DH1 = DH(IK_A, SPK_B)   DH2 = DH(EK_A, IK_B)   DH3 = DH(EK_A, SPK_B)   DH4 = DH(EK_A, OPK_B) (if a one-time prekey was used)
/// SK  = HKDF-SHA256(salt = 32 zero bytes, ikm = 32 x 0xFF || DH1 || DH2 || DH3 [|| DH4], info = "AkkaChat X3DH v1", 32 bytes)
/// AD  = IK_A || IK_B   (the 64-byte identity encodings of initiator and responder)
/// </code>
/// IK here is the X25519 half of the identity; the Ed25519 half only verifies SPK_B's signature.
/// </summary>
internal static class X3dh
{
    private static readonly byte[] Info = "AkkaChat X3DH v1"u8.ToArray();
    private static readonly byte[] Salt = new byte[32];
    private static readonly byte[] Prefix = Enumerable.Repeat((byte)0xFF, 32).ToArray();

    /// <summary>The checks a sender (and the node, at KEYS_UPLOAD) makes on a bundle: sizes, then the signature.</summary>
    public static VerifiedBundle Verify(string peer, KeyBundle bundle)
    {
        IdentityKey identity;
        try { identity = IdentityKey.Parse(bundle.IdentityKey.Span); }
        catch (FormatException e) { throw new InvalidKeyBundleException(peer, e.Message); }
        if (bundle.SignedPrekey is not { } signed)
            throw new InvalidKeyBundleException(peer, "no signed prekey.");
        var spk = signed.PublicKey.ToByteArray();
        if (spk.Length != Primitives.KeyLength)
            throw new InvalidKeyBundleException(peer, $"the signed prekey is {spk.Length} bytes, not 32.");
        if (!identity.Verifies(spk, signed.Signature.Span))
            throw new InvalidKeyBundleException(peer, "the signed prekey's signature does not verify with the identity signing key.");
        byte[]? opk = null;
        uint? opkId = null;
        if (bundle.OneTimePrekey is { } oneTime && !oneTime.PublicKey.IsEmpty)
        {
            opk = oneTime.PublicKey.ToByteArray();
            if (opk.Length != Primitives.KeyLength)
                throw new InvalidKeyBundleException(peer, $"the one-time prekey is {opk.Length} bytes, not 32.");
            opkId = oneTime.Id;
        }
        return new VerifiedBundle(identity, signed.Id, spk, opkId, opk);
    }

    public static (byte[] SharedKey, DhKeyPair BaseKey, byte[] AssociatedData) Initiate(IdentityKeyPair self, VerifiedBundle bundle)
    {
        var ephemeral = DhKeyPair.Generate();
        var dh1 = Primitives.Dh(self.DhPrivate, bundle.SignedPreKey);
        var dh2 = Primitives.Dh(ephemeral.Private, bundle.Identity.DhKey);
        var dh3 = Primitives.Dh(ephemeral.Private, bundle.SignedPreKey);
        var dh4 = bundle.OneTimePreKey is null ? [] : Primitives.Dh(ephemeral.Private, bundle.OneTimePreKey);
        var sk = Derive(dh1, dh2, dh3, dh4);
        return (sk, ephemeral, [.. self.Public.ToByteArray(), .. bundle.Identity.ToByteArray()]);
    }

    public static (byte[] SharedKey, byte[] AssociatedData) Respond(
        IdentityKeyPair self, byte[] signedPreKeyPrivate, byte[]? oneTimePreKeyPrivate, IdentityKey initiator, byte[] baseKey)
    {
        var dh1 = Primitives.Dh(signedPreKeyPrivate, initiator.DhKey);
        var dh2 = Primitives.Dh(self.DhPrivate, baseKey);
        var dh3 = Primitives.Dh(signedPreKeyPrivate, baseKey);
        var dh4 = oneTimePreKeyPrivate is null ? [] : Primitives.Dh(oneTimePreKeyPrivate, baseKey);
        var sk = Derive(dh1, dh2, dh3, dh4);
        return (sk, [.. initiator.ToByteArray(), .. self.Public.ToByteArray()]);
    }

    private static byte[] Derive(byte[] dh1, byte[] dh2, byte[] dh3, byte[] dh4) =>
        Primitives.Hkdf([.. Prefix, .. dh1, .. dh2, .. dh3, .. dh4], Salt, Info, 32);
}
