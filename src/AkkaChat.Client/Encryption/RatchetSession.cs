namespace AkkaChat.Client.Encryption;

/// <summary>A message key kept for a message that has not arrived yet (out of order or lost).</summary>
internal sealed record SkippedMessageKey(byte[] RatchetKey, uint MessageNumber, byte[] MessageKey);

/// <summary>What an initiator repeats in every envelope until the responder has answered once.</summary>
internal sealed record PendingPreKey(uint SignedPreKeyId, uint? OneTimePreKeyId, byte[] BaseKey);

/// <summary>
/// The Double Ratchet state of one session (the variables of the Signal specification, section 3.2),
/// as plain data: the store persists it as is, and <see cref="DoubleRatchet"/> works on a
/// <see cref="Clone"/> so that a failed decryption leaves the session untouched. Byte arrays are
/// never modified in place, so a clone may share them.
/// </summary>
internal sealed class RatchetSession
{
    /// <summary>IK_initiator || IK_responder from X3DH; part of every message's associated data.</summary>
    public byte[] AssociatedData { get; set; } = [];
    /// <summary>The initiator's X3DH ephemeral key: names the session in PreKey envelopes.</summary>
    public byte[] BaseKey { get; set; } = [];
    public byte[] RootKey { get; set; } = [];
    public byte[] SelfRatchetPrivate { get; set; } = [];
    public byte[] SelfRatchetPublic { get; set; } = [];
    public byte[]? RemoteRatchetKey { get; set; }
    public byte[]? SendingChainKey { get; set; }
    public byte[]? ReceivingChainKey { get; set; }
    public uint SendingCount { get; set; }
    public uint ReceivingCount { get; set; }
    public uint PreviousSendingCount { get; set; }
    public List<SkippedMessageKey> Skipped { get; set; } = [];
    /// <summary>Ratchet keys the peer used before the current one: a message on them with no skipped key is a duplicate.</summary>
    public List<byte[]> RetiredRemoteRatchetKeys { get; set; } = [];
    public PendingPreKey? PendingPreKey { get; set; }

    public RatchetSession Clone()
    {
        var copy = (RatchetSession)MemberwiseClone();
        copy.Skipped = [.. Skipped];
        copy.RetiredRemoteRatchetKeys = [.. RetiredRemoteRatchetKeys];
        return copy;
    }
}
