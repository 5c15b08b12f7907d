namespace AkkaChat.Client.Encryption;

/// <summary>
/// The Double Ratchet (Signal, "The Double Ratchet Algorithm", rev. 1) over X25519:
/// <code>
/// KDF_RK(rk, dh) = HKDF-SHA256(salt = rk, ikm = dh, info = "AkkaChat ratchet v1", 64) -> new rk (0-31), chain key (32-63)
/// KDF_CK(ck)     = HMAC-SHA256(ck, 0x01) -> message key, HMAC-SHA256(ck, 0x02) -> next chain key
/// message key mk -> HKDF-SHA256(salt = 32 zero bytes, ikm = mk, info = "AkkaChat message v1", 44)
///                   -> ChaCha20-Poly1305 key (0-31), nonce (32-43)
/// associated data = session AD (IK_A || IK_B) || conversation length (u8) || conversation (ASCII) || envelope bytes before the ciphertext
/// </code>
/// The conversation is "" for a direct message and the group address for a group message, so the
/// server cannot move a message between a chat and a group. Every key is used for one message only,
/// so the derived nonce never repeats under a key.
/// </summary>
internal static class DoubleRatchet
{
    /// <summary>At most this many message keys are skipped for one incoming message (per chain).</summary>
    public const int MaxSkip = 1000;
    /// <summary>At most this many skipped message keys are kept per session; the oldest go first.</summary>
    public const int MaxStoredSkipped = 2000;
    private const int MaxRetiredRatchetKeys = 32;

    private static readonly byte[] RootInfo = "AkkaChat ratchet v1"u8.ToArray();
    private static readonly byte[] MessageInfo = "AkkaChat message v1"u8.ToArray();
    private static readonly byte[] ZeroSalt = new byte[32];

    public static RatchetSession InitiatorSession(byte[] sharedKey, byte[] associatedData, byte[] remoteSignedPreKey, PendingPreKey pending)
    {
        var self = DhKeyPair.Generate();
        var (root, sending) = RootStep(sharedKey, Primitives.Dh(self.Private, remoteSignedPreKey));
        return new RatchetSession
        {
            AssociatedData = associatedData,
            BaseKey = pending.BaseKey,
            RootKey = root,
            SelfRatchetPrivate = self.Private,
            SelfRatchetPublic = self.Public,
            RemoteRatchetKey = remoteSignedPreKey,
            SendingChainKey = sending,
            PendingPreKey = pending,
        };
    }

    public static RatchetSession ResponderSession(byte[] sharedKey, byte[] associatedData, byte[] baseKey, byte[] signedPreKeyPrivate, byte[] signedPreKeyPublic) => new()
    {
        AssociatedData = associatedData,
        BaseKey = baseKey,
        RootKey = sharedKey,
        SelfRatchetPrivate = signedPreKeyPrivate,
        SelfRatchetPublic = signedPreKeyPublic,
    };

    /// <summary>Seals <paramref name="plaintext"/> as the session's next message and returns the whole envelope.</summary>
    public static byte[] Encrypt(RatchetSession session, IdentityKey self, ReadOnlySpan<byte> plaintext, string conversation)
    {
        var chain = session.SendingChainKey
            ?? throw new InvalidOperationException("This session cannot send before it has received the initiator's first message.");
        var (messageKey, next) = ChainStep(chain);
        var header = new RatchetHeader(session.SelfRatchetPublic, session.PreviousSendingCount, session.SendingCount);
        var preKey = session.PendingPreKey is { } p ? new PreKeyHeader(self, p.BaseKey, p.SignedPreKeyId, p.OneTimePreKeyId) : null;
        var authenticated = Envelope.WriteAuthenticatedPart(preKey, header);
        var sealedMessage = Seal(messageKey, AssociatedData(session, conversation, authenticated), plaintext);
        session.SendingChainKey = next;
        session.SendingCount = checked(session.SendingCount + 1);
        return [.. authenticated, .. sealedMessage];
    }

    /// <summary>
    /// Opens an envelope of this session, advancing <paramref name="session"/> (work on a clone: on
    /// failure the session may be half-advanced and must be dropped).
    /// </summary>
    public static byte[] Decrypt(RatchetSession session, ParsedEnvelope envelope, string conversation)
    {
        var header = envelope.Header;
        var ad = AssociatedData(session, conversation, envelope.AuthenticatedPart);

        var skippedIndex = session.Skipped.FindIndex(k =>
            k.MessageNumber == header.MessageNumber && k.RatchetKey.AsSpan().SequenceEqual(header.RatchetKey));
        if (skippedIndex >= 0)
        {
            var plaintext = Open(session.Skipped[skippedIndex].MessageKey, ad, envelope.Sealed);
            session.Skipped.RemoveAt(skippedIndex);
            Answered(session);
            return plaintext;
        }

        var current = session.RemoteRatchetKey is { } remote && remote.AsSpan().SequenceEqual(header.RatchetKey);
        if (current && session.ReceivingChainKey is not null && header.MessageNumber < session.ReceivingCount)
            throw new DecryptionFailedException(DecryptFailure.Duplicate, $"Message {header.MessageNumber} of this chain was already read.");
        if (session.RetiredRemoteRatchetKeys.Exists(k => k.AsSpan().SequenceEqual(header.RatchetKey)))
            throw new DecryptionFailedException(DecryptFailure.Duplicate, "The message belongs to an earlier chain and its key was already used.");

        if (!current || session.ReceivingChainKey is null)
        {
            SkipMessageKeys(session, header.PreviousChainLength);
            RatchetStep(session, header.RatchetKey);
        }
        SkipMessageKeys(session, header.MessageNumber);
        var (messageKey, next) = ChainStep(session.ReceivingChainKey!);
        var opened = Open(messageKey, ad, envelope.Sealed);
        session.ReceivingChainKey = next;
        session.ReceivingCount = checked(session.ReceivingCount + 1);
        Answered(session);
        return opened;
    }

    /// <summary>A message from the peer proves that it holds the session: PreKey envelopes are no longer needed.</summary>
    private static void Answered(RatchetSession session) => session.PendingPreKey = null;

    private static void SkipMessageKeys(RatchetSession session, uint until)
    {
        if (session.ReceivingChainKey is null || until <= session.ReceivingCount) return;
        if (until - session.ReceivingCount > MaxSkip)
            throw new DecryptionFailedException(DecryptFailure.TooManySkipped,
                $"Reading message {until} would skip {until - session.ReceivingCount} message keys; at most {MaxSkip} are skipped.");
        var chain = session.ReceivingChainKey;
        while (session.ReceivingCount < until)
        {
            var (messageKey, next) = ChainStep(chain);
            session.Skipped.Add(new SkippedMessageKey(session.RemoteRatchetKey!, session.ReceivingCount, messageKey));
            chain = next;
            session.ReceivingCount++;
        }
        session.ReceivingChainKey = chain;
        if (session.Skipped.Count > MaxStoredSkipped)
            session.Skipped.RemoveRange(0, session.Skipped.Count - MaxStoredSkipped);
    }

    private static void RatchetStep(RatchetSession session, byte[] remoteRatchetKey)
    {
        if (session.RemoteRatchetKey is { } retired)
        {
            session.RetiredRemoteRatchetKeys.Add(retired);
            if (session.RetiredRemoteRatchetKeys.Count > MaxRetiredRatchetKeys) session.RetiredRemoteRatchetKeys.RemoveAt(0);
        }
        session.PreviousSendingCount = session.SendingCount;
        session.SendingCount = 0;
        session.ReceivingCount = 0;
        session.RemoteRatchetKey = remoteRatchetKey;
        byte[] dh;
        try { dh = Primitives.Dh(session.SelfRatchetPrivate, remoteRatchetKey); }
        catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException)
        {
            throw new DecryptionFailedException(DecryptFailure.Malformed, $"The header's ratchet key is unusable: {e.Message}");
        }
        (session.RootKey, session.ReceivingChainKey) = RootStep(session.RootKey, dh);
        var self = DhKeyPair.Generate();
        session.SelfRatchetPrivate = self.Private;
        session.SelfRatchetPublic = self.Public;
        (session.RootKey, session.SendingChainKey) = RootStep(session.RootKey, Primitives.Dh(self.Private, remoteRatchetKey));
    }

    internal static (byte[] RootKey, byte[] ChainKey) RootStep(byte[] rootKey, byte[] dhOutput)
    {
        var okm = Primitives.Hkdf(dhOutput, rootKey, RootInfo, 64);
        return (okm[..32], okm[32..]);
    }

    internal static (byte[] MessageKey, byte[] NextChainKey) ChainStep(byte[] chainKey) =>
        (Primitives.HmacSha256(chainKey, [0x01]), Primitives.HmacSha256(chainKey, [0x02]));

    private static byte[] AssociatedData(RatchetSession session, string conversation, byte[] authenticated)
    {
        var name = System.Text.Encoding.ASCII.GetBytes(conversation);
        if (name.Length > byte.MaxValue) throw new ArgumentException("A conversation name is at most 255 characters.", nameof(conversation));
        return [.. session.AssociatedData, (byte)name.Length, .. name, .. authenticated];
    }

    private static byte[] Seal(byte[] messageKey, byte[] ad, ReadOnlySpan<byte> plaintext)
    {
        var okm = Primitives.Hkdf(messageKey, ZeroSalt, MessageInfo, 32 + Primitives.NonceLength);
        return Primitives.Seal(okm[..32], okm.AsSpan(32), ad, plaintext);
    }

    private static byte[] Open(byte[] messageKey, byte[] ad, byte[] sealedMessage)
    {
        var okm = Primitives.Hkdf(messageKey, ZeroSalt, MessageInfo, 32 + Primitives.NonceLength);
        return Primitives.Open(okm[..32], okm.AsSpan(32), ad, sealedMessage)
            ?? throw new DecryptionFailedException(DecryptFailure.Forged, "The message's authentication tag does not verify.");
    }
}
