using System.Buffers.Binary;
using System.Text;

namespace AkkaChat.Client.Encryption;

/// <summary>What an envelope carries (byte 2).</summary>
public enum EnvelopeType : byte
{
    /// <summary>A message that also carries the X3DH header, sent until the peer has answered once.</summary>
    PreKey = 1,
    /// <summary>A Double Ratchet message of an established session.</summary>
    Normal = 2,
    /// <summary>Pairwise envelopes for each member of a group, in one SEND to the group address.</summary>
    Group = 3,
}

/// <summary>The ratchet header of every PreKey and Normal envelope: the sender's ratchet key, PN and N.</summary>
internal readonly record struct RatchetHeader(byte[] RatchetKey, uint PreviousChainLength, uint MessageNumber);

/// <summary>The X3DH part of a PreKey envelope.</summary>
internal sealed record PreKeyHeader(IdentityKey SenderIdentity, byte[] BaseKey, uint SignedPreKeyId, uint? OneTimePreKeyId);

/// <summary>
/// A parsed PreKey or Normal envelope. <see cref="AuthenticatedPart"/> is every byte before the
/// sealed message; it is part of the AEAD's associated data, so none of it can be altered.
/// </summary>
internal sealed record ParsedEnvelope(EnvelopeType Type, PreKeyHeader? PreKey, RatchetHeader Header, byte[] AuthenticatedPart, byte[] Sealed);

/// <summary>
/// The byte layout of SEND.body for encrypted messages (docs/e2e.md, "Envelope"). All integers are
/// big-endian.
/// <code>
/// 0      0xAC marker (never the first byte of valid UTF-8, so text bodies cannot be mistaken for it)
/// 1      version = 1
/// 2      type: 1 PREKEY, 2 NORMAL, 3 GROUP
/// PREKEY: 3 sender identity key (64) | 67 base key (32) | 99 signed prekey id (u32)
///         | 103 flags (bit 0: a one-time prekey was used) | 104 one-time prekey id (u32, 0 if none)
/// PREKEY and NORMAL then: ratchet key (32) | PN (u32) | N (u32) | ciphertext | tag (16)
/// GROUP:  3 count (u16, at least 1), then per member: phone length (u8) | phone (ASCII)
///         | envelope length (u16) | a PREKEY or NORMAL envelope for that member
/// </code>
/// </summary>
public static class Envelope
{
    public const byte Marker = 0xAC;
    public const byte Version = 1;
    internal const int PreKeyPartLength = IdentityKey.Length + 32 + 4 + 1 + 4;
    internal const int HeaderLength = 32 + 4 + 4;

    /// <summary>Bytes an envelope adds to the plaintext: 164 for a PreKey envelope, 59 for a Normal one.</summary>
    public static int Overhead(EnvelopeType type) => type switch
    {
        EnvelopeType.PreKey => 3 + PreKeyPartLength + HeaderLength + Primitives.TagLength,
        EnvelopeType.Normal => 3 + HeaderLength + Primitives.TagLength,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Only PreKey and Normal envelopes have a fixed overhead."),
    };

    /// <summary>Whether a received body is an AkkaChat envelope (marker byte), as opposed to a plaintext body.</summary>
    public static bool IsEnvelope(ReadOnlySpan<byte> body) => body.Length >= 3 && body[0] == Marker;

    internal static byte[] WriteAuthenticatedPart(PreKeyHeader? preKey, RatchetHeader header)
    {
        var length = 3 + (preKey is null ? 0 : PreKeyPartLength) + HeaderLength;
        var bytes = new byte[length];
        bytes[0] = Marker;
        bytes[1] = Version;
        bytes[2] = (byte)(preKey is null ? EnvelopeType.Normal : EnvelopeType.PreKey);
        var at = 3;
        if (preKey is not null)
        {
            preKey.SenderIdentity.ToByteArray().CopyTo(bytes, at);
            at += IdentityKey.Length;
            preKey.BaseKey.CopyTo(bytes, at);
            at += 32;
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), preKey.SignedPreKeyId);
            at += 4;
            bytes[at++] = preKey.OneTimePreKeyId is null ? (byte)0 : (byte)1;
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), preKey.OneTimePreKeyId ?? 0);
            at += 4;
        }
        header.RatchetKey.CopyTo(bytes, at);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at + 32), header.PreviousChainLength);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at + 36), header.MessageNumber);
        return bytes;
    }

    /// <summary>Reads a PreKey or Normal envelope; a wrong marker, version, type, flag or length is a <see cref="DecryptionFailedException"/>.</summary>
    internal static ParsedEnvelope Parse(ReadOnlySpan<byte> body)
    {
        var type = ReadPrologue(body);
        if (type == EnvelopeType.Group)
            throw new DecryptionFailedException(DecryptFailure.Malformed, "A group envelope is read with the group's address.");
        var at = 3;
        PreKeyHeader? preKey = null;
        if (type == EnvelopeType.PreKey)
        {
            if (body.Length < at + PreKeyPartLength) throw Truncated();
            IdentityKey identity;
            try { identity = IdentityKey.Parse(body.Slice(at, IdentityKey.Length)); }
            catch (FormatException e) { throw new DecryptionFailedException(DecryptFailure.Malformed, e.Message); }
            at += IdentityKey.Length;
            var baseKey = body.Slice(at, 32).ToArray();
            at += 32;
            var signedId = BinaryPrimitives.ReadUInt32BigEndian(body[at..]);
            at += 4;
            var flags = body[at++];
            if (flags > 1) throw new DecryptionFailedException(DecryptFailure.Malformed, $"Unknown prekey flags 0x{flags:x2}.");
            var oneTimeId = BinaryPrimitives.ReadUInt32BigEndian(body[at..]);
            at += 4;
            preKey = new PreKeyHeader(identity, baseKey, signedId, flags == 1 ? oneTimeId : null);
        }
        if (body.Length < at + HeaderLength + Primitives.TagLength) throw Truncated();
        var header = new RatchetHeader(
            body.Slice(at, 32).ToArray(),
            BinaryPrimitives.ReadUInt32BigEndian(body[(at + 32)..]),
            BinaryPrimitives.ReadUInt32BigEndian(body[(at + 36)..]));
        at += HeaderLength;
        return new ParsedEnvelope(type, preKey, header, body[..at].ToArray(), body[at..].ToArray());
    }

    internal static byte[] WriteGroup(IReadOnlyList<(string Member, byte[] Envelope)> entries)
    {
        if (entries.Count is 0 or > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(entries), entries.Count, "A group envelope holds 1 to 65,535 members.");
        using var buffer = new MemoryStream();
        buffer.Write([Marker, Version, (byte)EnvelopeType.Group]);
        Span<byte> u16 = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(u16, (ushort)entries.Count);
        buffer.Write(u16);
        foreach (var (member, envelope) in entries)
        {
            var phone = Encoding.ASCII.GetBytes(member);
            if (phone.Length > byte.MaxValue || envelope.Length > ushort.MaxValue)
                throw new ArgumentException($"Member {member} or its envelope is too long for a group envelope.", nameof(entries));
            buffer.WriteByte((byte)phone.Length);
            buffer.Write(phone);
            BinaryPrimitives.WriteUInt16BigEndian(u16, (ushort)envelope.Length);
            buffer.Write(u16);
            buffer.Write(envelope);
        }
        return buffer.ToArray();
    }

    /// <summary>The envelope addressed to <paramref name="member"/> inside a group envelope, or null if there is none.</summary>
    internal static byte[]? FindGroupEntry(ReadOnlySpan<byte> body, string member)
    {
        if (ReadPrologue(body) != EnvelopeType.Group)
            throw new DecryptionFailedException(DecryptFailure.Malformed, "A group message must carry a group envelope.");
        if (body.Length < 5) throw Truncated();
        var count = BinaryPrimitives.ReadUInt16BigEndian(body[3..]);
        var at = 5;
        byte[]? found = null;
        for (var i = 0; i < count; i++)
        {
            if (body.Length < at + 1) throw Truncated();
            var phoneLength = body[at++];
            if (body.Length < at + phoneLength + 2) throw Truncated();
            var phone = Encoding.ASCII.GetString(body.Slice(at, phoneLength));
            at += phoneLength;
            var length = BinaryPrimitives.ReadUInt16BigEndian(body[at..]);
            at += 2;
            if (body.Length < at + length) throw Truncated();
            if (found is null && phone == member) found = body.Slice(at, length).ToArray();
            at += length;
        }
        if (at != body.Length) throw new DecryptionFailedException(DecryptFailure.Malformed, "Bytes after the last member of a group envelope.");
        return found;
    }

    private static EnvelopeType ReadPrologue(ReadOnlySpan<byte> body)
    {
        if (body.Length < 3 || body[0] != Marker)
            throw new DecryptionFailedException(DecryptFailure.Malformed, "The body is not an AkkaChat envelope (no 0xAC marker).");
        if (body[1] != Version)
            throw new DecryptionFailedException(DecryptFailure.UnsupportedVersion, $"Envelope version {body[1]} is not supported (this SDK reads version {Version}).");
        return body[2] switch
        {
            1 => EnvelopeType.PreKey,
            2 => EnvelopeType.Normal,
            3 => EnvelopeType.Group,
            var t => throw new DecryptionFailedException(DecryptFailure.Malformed, $"Unknown envelope type {t}."),
        };
    }

    private static DecryptionFailedException Truncated() =>
        new(DecryptFailure.Malformed, "The envelope is truncated.");
}
