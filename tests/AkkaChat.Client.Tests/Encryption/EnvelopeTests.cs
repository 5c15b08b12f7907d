using System.Buffers.Binary;
using System.Text;
using AkkaChat.Client.Encryption;

namespace AkkaChat.Client.Tests.Encryption;

/// <summary>The byte layout of docs/e2e.md, checked at the documented offsets.</summary>
public sealed class EnvelopeTests
{
    [Fact]
    public void A_prekey_envelope_has_the_documented_layout()
    {
        var sender = IdentityKeyPair.Generate().Public;
        var baseKey = DhKeyPair.Generate().Public;
        var ratchetKey = DhKeyPair.Generate().Public;
        var bytes = Envelope.WriteAuthenticatedPart(new PreKeyHeader(sender, baseKey, 0x01020304, 0x0A0B0C0D), new RatchetHeader(ratchetKey, 5, 6));

        Assert.Equal([0xAC, 1, 1], bytes[..3]);
        Assert.Equal(sender.ToByteArray(), bytes[3..67]);
        Assert.Equal(baseKey, bytes[67..99]);
        Assert.Equal(0x01020304u, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(99)));
        Assert.Equal(1, bytes[103]);
        Assert.Equal(0x0A0B0C0Du, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(104)));
        Assert.Equal(ratchetKey, bytes[108..140]);
        Assert.Equal(5u, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(140)));
        Assert.Equal(6u, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(144)));
        Assert.Equal(148, bytes.Length);
        Assert.Equal(bytes.Length + 16, Envelope.Overhead(EnvelopeType.PreKey));
    }

    [Fact]
    public void A_normal_envelope_has_the_documented_layout()
    {
        var ratchetKey = DhKeyPair.Generate().Public;
        var bytes = Envelope.WriteAuthenticatedPart(null, new RatchetHeader(ratchetKey, 0, 0x00FFFFFF));

        Assert.Equal([0xAC, 1, 2], bytes[..3]);
        Assert.Equal(ratchetKey, bytes[3..35]);
        Assert.Equal(0x00FFFFFFu, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(39)));
        Assert.Equal(bytes.Length + 16, Envelope.Overhead(EnvelopeType.Normal));
    }

    [Fact]
    public void A_text_body_is_never_taken_for_an_envelope()
    {
        Assert.False(Envelope.IsEnvelope(Encoding.UTF8.GetBytes("\u00ACplain text starting with a not sign")));
        Assert.False(Envelope.IsEnvelope("hello"u8));
        Assert.False(Envelope.IsEnvelope([0xAC, 1]));
        Assert.True(Envelope.IsEnvelope([0xAC, 1, 2]));
    }

    [Theory]
    [InlineData(new byte[] { 0xAC, 2, 2 }, DecryptFailure.UnsupportedVersion)]
    [InlineData(new byte[] { 0xAC, 1, 9 }, DecryptFailure.Malformed)]
    [InlineData(new byte[] { 0x41, 1, 2 }, DecryptFailure.Malformed)]
    [InlineData(new byte[] { 0xAC, 1, 1, 0, 0 }, DecryptFailure.Malformed)]
    [InlineData(new byte[] { 0xAC, 1, 2, 0, 0 }, DecryptFailure.Malformed)]
    [InlineData(new byte[] { 0xAC, 1, 3, 0, 1 }, DecryptFailure.Malformed)]
    public void A_bad_prologue_or_a_truncated_envelope_is_refused(byte[] body, DecryptFailure reason)
    {
        var failure = Assert.Throws<DecryptionFailedException>(() => Envelope.Parse(body));
        Assert.Equal(reason, failure.Reason);
    }

    [Fact]
    public void Unknown_prekey_flags_are_refused()
    {
        var bytes = Envelope.WriteAuthenticatedPart(
            new PreKeyHeader(IdentityKeyPair.Generate().Public, DhKeyPair.Generate().Public, 1, null), new RatchetHeader(DhKeyPair.Generate().Public, 0, 0));
        byte[] body = [.. bytes, .. new byte[16]];
        body[103] = 2;

        Assert.Equal(DecryptFailure.Malformed, Assert.Throws<DecryptionFailedException>(() => Envelope.Parse(body)).Reason);
    }

    [Fact]
    public void A_group_envelope_lists_each_member_with_its_own_envelope()
    {
        byte[] forBob = [0xAC, 1, 2, 7];
        byte[] forCarol = [0xAC, 1, 2, 8, 9];
        var body = Envelope.WriteGroup([("+15550000002", forBob), ("+15550000003", forCarol)]);

        Assert.Equal([0xAC, 1, 3, 0, 2, 12], body[..6]);
        Assert.Equal("+15550000002", Encoding.ASCII.GetString(body, 6, 12));
        Assert.Equal(forBob, Envelope.FindGroupEntry(body, "+15550000002"));
        Assert.Equal(forCarol, Envelope.FindGroupEntry(body, "+15550000003"));
        Assert.Null(Envelope.FindGroupEntry(body, "+15550000004"));
        Assert.Equal(DecryptFailure.Malformed, Assert.Throws<DecryptionFailedException>(() => Envelope.FindGroupEntry(body[..^1], "+15550000002")).Reason);
    }
}
