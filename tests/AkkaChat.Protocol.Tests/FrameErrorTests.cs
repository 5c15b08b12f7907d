using System.Buffers;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Protocol.Tests;

public sealed class FrameErrorTests
{
    /// <summary>Asserts that reading <paramref name="buffer"/> throws and consumes nothing.</summary>
    private static ProtocolException ReadFails(ReadOnlySequence<byte> buffer)
    {
        var rest = buffer;
        var error = Assert.Throws<ProtocolException>(() => FrameReader.TryRead(ref rest, out _));
        Assert.Equal(buffer, rest);
        return error;
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x02)]
    [InlineData(0xFF)]
    public void A_version_other_than_1_is_rejected_as_soon_as_its_byte_arrives(byte version)
    {
        var buffer = new ReadOnlySequence<byte>([version]);

        var error = ReadFails(buffer);

        Assert.Equal(ErrorCode.UnsupportedVersion, error.Code);
        Assert.True(error.ClosesConnection);
    }

    [Fact]
    public void A_wrong_version_is_rejected_even_when_a_complete_frame_follows_it()
    {
        var bytes = FrameWriter.ToBytes(new Ping { Nonce = 1 });
        bytes[0] = 2;
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.Equal(ErrorCode.UnsupportedVersion, ReadFails(buffer).Code);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x05)]
    [InlineData(0x7F)]
    [InlineData(0x80)]
    [InlineData(0x83)]
    [InlineData(0xFF)]
    public void A_frame_with_an_unknown_type_is_consumed_without_a_message_and_the_next_frame_still_reads(byte typeCode)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteRaw(writer, FrameLayout.Version, typeCode, [0xAB, 0xCD, 0xEF]);
        FrameWriter.Write(writer, new Ping { Nonce = 9 });
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);

        Assert.True(FrameReader.TryRead(ref buffer, out var unknown));
        Assert.Equal(typeCode, (byte)unknown.Type);
        Assert.Null(unknown.Message);
        Assert.False(unknown.IsKnown);

        Assert.True(FrameReader.TryRead(ref buffer, out var ping));
        Assert.Equal(new Ping { Nonce = 9 }, ping.Message);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void A_frame_with_an_unknown_type_and_an_incomplete_payload_reads_as_need_more()
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes("01 7F 00 03 AB CD"));

        Assert.False(FrameReader.TryRead(ref buffer, out _));
        Assert.Equal(6, buffer.Length);
    }

    [Fact]
    public void Decoding_an_unknown_type_code_is_unknown_type_and_keeps_the_connection()
    {
        var error = Assert.Throws<ProtocolException>(() => FrameCodec.Decode((FrameType)0x7F, ReadOnlySequence<byte>.Empty));

        Assert.Equal(ErrorCode.UnknownType, error.Code);
        Assert.False(error.ClosesConnection);
    }

    [Theory]
    [InlineData("08 80")] // nonce: varint whose continuation bit promises a byte that is not there
    [InlineData("08 FF FF FF FF FF FF FF FF FF FF 01")] // nonce: varint longer than 10 bytes
    [InlineData("00 01")] // tag with field number 0
    [InlineData("0F")] // wire type 7 does not exist
    [InlineData("0A 05 61")] // length-delimited field claims 5 bytes, 1 follows
    [InlineData("0B 08 01")] // start-group with no end-group
    public void A_payload_that_is_not_valid_protobuf_is_malformed_and_closes_the_connection(string payloadHex)
    {
        var payload = Hex.Bytes(payloadHex);
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteRaw(writer, FrameLayout.Version, (byte)FrameType.Ping, payload);
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);

        var error = ReadFails(buffer);

        Assert.Equal(ErrorCode.Malformed, error.Code);
        Assert.True(error.ClosesConnection);
        Assert.IsType<InvalidProtocolBufferException>(error.InnerException);
    }

    [Fact]
    public void A_nested_message_that_is_not_valid_protobuf_is_malformed()
    {
        // KEYS_UPLOAD signed_prekey: 12 (field 2, len) 02 [08 80]: a truncated varint inside the nested message
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes("01 30 00 04 12 02 08 80"));

        Assert.Equal(ErrorCode.Malformed, ReadFails(buffer).Code);
    }

    [Theory]
    [InlineData("12 01 FF")] // to: the byte FF never occurs in UTF-8
    [InlineData("12 02 C3 28")] // to: a lead byte followed by a non-continuation byte
    [InlineData("12 03 ED A0 80")] // to: an encoded surrogate (U+D800)
    public void A_string_field_that_is_not_utf8_is_malformed(string payloadHex)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteRaw(writer, FrameLayout.Version, (byte)FrameType.Send, Hex.Bytes(payloadHex));

        Assert.Equal(ErrorCode.Malformed, ReadFails(new ReadOnlySequence<byte>(writer.WrittenMemory)).Code);
    }

    [Theory]
    [InlineData(65_532)]
    [InlineData(100_000)]
    public void A_payload_over_65535_bytes_is_too_large_and_nothing_is_written(int bodySize)
    {
        // payload = 1 tag byte + 3 length bytes + body
        var send = new Send { Body = ByteString.CopyFrom(new byte[bodySize]) };
        var writer = new ArrayBufferWriter<byte>();

        var error = Assert.Throws<ProtocolException>(() => FrameWriter.Write(writer, send));

        Assert.Equal(ErrorCode.TooLarge, error.Code);
        Assert.False(error.ClosesConnection);
        Assert.Equal(0, writer.WrittenCount);
        Assert.Equal(ErrorCode.TooLarge, Assert.Throws<ProtocolException>(() => FrameWriter.ToBytes(send)).Code);
    }

    [Fact]
    public void A_payload_of_exactly_65535_bytes_is_written_and_read_back()
    {
        var send = new Send { Body = ByteString.CopyFrom(new byte[65_531]) };

        var bytes = FrameWriter.ToBytes(send);

        Assert.Equal(FrameLayout.MaxFrameSize, bytes.Length);
        Assert.Equal(Hex.Bytes("01 10 FF FF"), bytes[..4]);
        Assert.Equal(send, FrameReader.ReadSingle(bytes).Message);
    }

    [Fact]
    public void A_raw_payload_over_65535_bytes_is_too_large_and_nothing_is_written()
    {
        var writer = new ArrayBufferWriter<byte>();

        var error = Assert.Throws<ProtocolException>(
            () => FrameWriter.WriteRaw(writer, FrameLayout.Version, 0x7F, new byte[FrameLayout.MaxPayloadSize + 1]));

        Assert.Equal(ErrorCode.TooLarge, error.Code);
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void Read_single_rejects_bytes_after_the_frame()
    {
        byte[] bytes = [.. FrameWriter.ToBytes(new Ping { Nonce = 1 }), FrameLayout.Version];

        var error = Assert.Throws<ProtocolException>(() => FrameReader.ReadSingle(bytes));

        Assert.Equal(ErrorCode.Malformed, error.Code);
    }

    [Fact]
    public void Read_single_rejects_an_incomplete_frame()
    {
        var bytes = FrameWriter.ToBytes(new Ping { Nonce = 1 })[..^1];

        Assert.Equal(ErrorCode.Malformed, Assert.Throws<ProtocolException>(() => FrameReader.ReadSingle(bytes)).Code);
    }

    [Theory]
    [InlineData(ErrorCode.UnsupportedVersion, true)]
    [InlineData(ErrorCode.UnknownType, false)]
    [InlineData(ErrorCode.Malformed, true)]
    [InlineData(ErrorCode.BadRequest, false)]
    [InlineData(ErrorCode.TooLarge, false)]
    public void Of_the_errors_a_reader_raises_only_unsupported_version_and_malformed_close_the_connection(ErrorCode code, bool closes)
    {
        Assert.Equal(closes, new ProtocolException(code, "test").ClosesConnection);
    }

    [Theory]
    [InlineData(ErrorCode.UnsupportedVersion, true)]
    [InlineData(ErrorCode.UnknownType, false)]
    [InlineData(ErrorCode.Malformed, true)]
    [InlineData(ErrorCode.Unauthenticated, true)]
    [InlineData(ErrorCode.AuthFailed, true)]
    [InlineData(ErrorCode.BadRequest, false)]
    [InlineData(ErrorCode.RateLimited, false)]
    [InlineData(ErrorCode.NotFound, false)]
    [InlineData(ErrorCode.Forbidden, false)]
    [InlineData(ErrorCode.Replaced, true)]
    [InlineData(ErrorCode.TooLarge, false)]
    [InlineData(ErrorCode.Internal, false)]
    [InlineData(ErrorCode.Overloaded, true)]
    [InlineData(ErrorCode.IdleTimeout, true)]
    public void The_protocol_names_which_errors_close_the_connection(ErrorCode code, bool closes)
    {
        Assert.Equal(closes, ProtocolRules.ClosesConnection(code));
    }

    [Fact]
    public void Overloaded_closes_the_connection_only_without_a_ref()
    {
        Assert.True(ProtocolRules.ClosesConnection(ErrorCode.Overloaded, ""));
        Assert.False(ProtocolRules.ClosesConnection(ErrorCode.Overloaded, "c-1"));
        Assert.False(ProtocolRules.ClosesConnection(ErrorCode.RateLimited, "c-1"));
        Assert.True(ProtocolRules.ClosesConnection(ErrorCode.Replaced, "c-1"));
    }

    [Theory]
    [InlineData(ErrorCode.RateLimited, true)]
    [InlineData(ErrorCode.Overloaded, true)]
    [InlineData(ErrorCode.Internal, false)]
    [InlineData(ErrorCode.NotFound, false)]
    [InlineData(ErrorCode.BadRequest, false)]
    public void Rate_limited_and_overloaded_are_the_errors_to_retry_later(ErrorCode code, bool retry)
    {
        Assert.Equal(retry, ProtocolRules.IsRetryLater(code));
    }
}
