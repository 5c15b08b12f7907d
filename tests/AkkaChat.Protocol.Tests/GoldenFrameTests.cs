using System.Buffers;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Protocol.Tests;

/// <summary>
/// Byte vectors written by hand from PROTOCOL.md and the protobuf encoding rules, independent of the
/// writer: header = version, type, length (big-endian); each field = tag (field_number &lt;&lt; 3 | wire_type)
/// then a varint (wire type 0) or a varint length and that many bytes (wire type 2).
/// </summary>
public sealed class GoldenFrameTests
{
    private static void AssertGolden(IMessage message, byte[] expected)
    {
        Assert.Equal(expected, FrameWriter.ToBytes(message));

        var frame = FrameReader.ReadSingle(expected);
        Assert.Equal(FrameCodec.TypeOf(message), frame.Type);
        Assert.Equal((byte)frame.Type, expected[1]);
        Assert.Equal(message, frame.Message);
    }

    [Fact]
    public void Ping_with_nonce_1_is_01_04_00_02_08_01()
    {
        // header 01 04 00 02 | nonce: 08 (field 1, varint) 01
        AssertGolden(new Ping { Nonce = 1 }, Hex.Bytes("01 04 00 02 08 01"));
    }

    [Fact]
    public void Ping_with_nonce_300_carries_a_two_byte_varint()
    {
        // header 01 04 00 03 | nonce: 08, 300 = 0b10_0101100 -> AC (0101100 | continuation) 02
        AssertGolden(new Ping { Nonce = 300 }, Hex.Bytes("01 04 00 03 08 AC 02"));
    }

    [Fact]
    public void Ack_with_all_defaults_is_a_header_with_an_empty_payload()
    {
        // header 01 11 00 00 | no fields: proto3 writes no default values
        AssertGolden(new Ack(), Hex.Bytes("01 11 00 00"));
    }

    [Fact]
    public void Error_malformed_with_message_x_has_its_golden_bytes()
    {
        // header 01 8F 00 05
        // code:    08 (field 1, varint) 03
        // message: 12 (field 2, len) 01 78 ("x")
        AssertGolden(new Error { Code = (uint)ErrorCode.Malformed, Message = "x" }, Hex.Bytes("01 8F 00 05 08 03 12 01 78"));
    }

    [Fact]
    public void Send_to_a_phone_number_has_its_golden_bytes()
    {
        // header 01 10 00 14 (20 bytes)
        // client_msg_id: 0A (field 1, len) 01 61 ("a")
        // to:            12 (field 2, len) 09 2B 31 35 35 35 30 30 30 31 ("+15550001")
        // kind:          18 (field 3, varint) 01 (TEXT)
        // body:          22 (field 4, len) 02 68 69 ("hi")
        var send = new Send { ClientMsgId = "a", To = "+15550001", Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("hi") };

        AssertGolden(send, Hex.Bytes("01 10 00 14 0A 01 61 12 09 2B 31 35 35 35 30 30 30 31 18 01 22 02 68 69"));
    }

    [Fact]
    public void Pong_with_a_negative_server_time_carries_a_ten_byte_varint()
    {
        // header 01 84 00 0D (13 bytes)
        // nonce:          08 (field 1, varint) 07
        // server_time_ms: 10 (field 2, varint) -1 as int64 = 2^64-1 -> FF x9 01
        AssertGolden(new Pong { Nonce = 7, ServerTimeMs = -1 }, Hex.Bytes("01 84 00 0D 08 07 10 FF FF FF FF FF FF FF FF FF 01"));
    }

    [Fact]
    public void Read_carries_each_repeated_string_as_its_own_field()
    {
        // header 01 12 00 11 (17 bytes)
        // from:           0A 09 2B 31 35 35 35 30 30 30 31 ("+15550001")
        // server_msg_ids: 12 01 61 ("a"), 12 01 62 ("b")
        var read = new Read { From = "+15550001", ServerMsgIds = { "a", "b" } };

        AssertGolden(read, Hex.Bytes("01 12 00 11 0A 09 2B 31 35 35 35 30 30 30 31 12 01 61 12 01 62"));
    }

    [Fact]
    public void Keys_upload_nests_the_signed_prekey_and_each_one_time_prekey()
    {
        // header 01 30 00 15 (21 bytes)
        // identity_key:     0A (field 1, len) 02 01 02
        // signed_prekey:    12 (field 2, len) 08 [08 05 (id 5) | 12 01 AA (public_key) | 1A 01 BB (signature)]
        // one_time_prekeys: 1A (field 3, len) 05 [08 01 (id 1) | 12 01 CC (public_key)]
        var upload = new KeysUpload
        {
            IdentityKey = ByteString.CopyFrom(0x01, 0x02),
            SignedPrekey = new SignedPreKey { Id = 5, PublicKey = ByteString.CopyFrom(0xAA), Signature = ByteString.CopyFrom(0xBB) },
            OneTimePrekeys = { new PreKey { Id = 1, PublicKey = ByteString.CopyFrom(0xCC) } },
        };

        AssertGolden(upload, Hex.Bytes("01 30 00 15 0A 02 01 02 12 08 08 05 12 01 AA 1A 01 BB 1A 05 08 01 12 01 CC"));
    }

    [Fact]
    public void Group_info_nests_each_member_with_its_admin_flag()
    {
        // header 01 A0 00 17 (23 bytes)
        // seq:      08 (field 1, varint) 01
        // group_id: 1A (field 3, len) 02 67 31 ("g1")
        // members:  2A (field 5, len) 0D [0A 09 2B 31 35 35 35 30 30 30 31 (phone) | 10 01 (admin true)]
        // version:  30 (field 6, varint) 02
        var info = new GroupInfo { Seq = 1, GroupId = "g1", Members = { new GroupMember { Phone = "+15550001", Admin = true } }, Version = 2 };

        AssertGolden(info, Hex.Bytes("01 A0 00 17 08 01 1A 02 67 31 2A 0D 0A 09 2B 31 35 35 35 30 30 30 31 10 01 30 02"));
    }

    [Fact]
    public void The_length_field_is_big_endian()
    {
        // header 01 91 01 03: payload 259 = 0x0103 bytes
        // body: 32 (field 6, len) 80 02 (256 as varint) then 256 bytes of 00
        var deliver = new Deliver { Body = ByteString.CopyFrom(new byte[256]) };

        AssertGolden(deliver, [.. Hex.Bytes("01 91 01 03 32 80 02"), .. new byte[256]]);
    }

    [Fact]
    public void Fields_may_arrive_in_any_order_and_a_repeated_scalar_field_keeps_the_last_value()
    {
        // Reader side only: protobuf allows any field order, and the last occurrence of a scalar wins.
        // kind: 18 05 | client_msg_id: 0A 01 61 | kind again: 18 01
        var frame = FrameReader.ReadSingle(Hex.Bytes("01 10 00 07 18 05 0A 01 61 18 01"));

        Assert.Equal(new Send { ClientMsgId = "a", Kind = 1 }, frame.Message);
    }

    [Fact]
    public void Unknown_field_numbers_are_skipped_and_the_known_fields_read()
    {
        // nonce: 08 01 | field 15, varint: 78 2A | field 16, len: 82 01 01 FF
        var frame = FrameReader.ReadSingle(Hex.Bytes("01 04 00 08 08 01 78 2A 82 01 01 FF"));

        Assert.Equal(1UL, Assert.IsType<Ping>(frame.Message).Nonce);
    }
}
