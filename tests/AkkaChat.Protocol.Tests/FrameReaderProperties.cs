using System.Buffers;
using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace AkkaChat.Protocol.Tests;

/// <summary>
/// Whatever bytes arrive, the reader answers with a frame, "need more", or a
/// <see cref="ProtocolException"/>; no other exception escapes to the connection.
/// </summary>
public sealed class FrameReaderProperties
{
    /// <summary>
    /// Reads <paramref name="buffer"/> to its end the way a connection does. Fails the test on any
    /// exception other than <see cref="ProtocolException"/>, and checks that "need more" and a
    /// rejection both leave the buffer as it was.
    /// </summary>
    private static void ReadsOnlyFramesNeedMoreOrProtocolException(ReadOnlySequence<byte> buffer)
    {
        while (true)
        {
            var before = buffer;
            bool read;
            try
            {
                read = FrameReader.TryRead(ref buffer, out var frame);
                if (read)
                {
                    Assert.Equal(frame.IsKnown, FrameCodec.IsKnown((byte)frame.Type));
                    Assert.True(before.Length - buffer.Length >= FrameLayout.HeaderSize);
                }
            }
            catch (ProtocolException e)
            {
                Assert.Contains(e.Code, new[] { ErrorCode.UnsupportedVersion, ErrorCode.Malformed });
                Assert.Equal(before, buffer);
                return;
            }

            if (!read)
            {
                Assert.Equal(before, buffer);
                return;
            }
        }
    }

    private static byte[] Header(byte version, byte typeCode, int length)
    {
        var header = new byte[FrameLayout.HeaderSize];
        header[0] = version;
        header[1] = typeCode;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)length);
        return header;
    }

    /// <summary>
    /// Byte streams shaped like frames, so that the reader gets past the version check: a few
    /// frames with version 1 (now and then another), any type code, a payload of random bytes
    /// behind a length that is usually right, and a random tail.
    /// </summary>
    private static readonly Gen<byte[]> FrameShapedFrame =
        from version in Gen.Frequency((9, Gen.Constant(FrameLayout.Version)), (1, ArbMap.Default.GeneratorFor<byte>()))
        from type in Gen.Frequency(
            (3, Gen.Elements(FrameCodec.KnownTypes.Select(t => (byte)t))),
            (1, ArbMap.Default.GeneratorFor<byte>()))
        from payload in ArbMap.Default.GeneratorFor<byte[]>()
        from lengthError in Gen.Frequency((9, Gen.Constant(0)), (1, Gen.Choose(-3, 3)))
        select Header(version, type, Math.Max(0, payload.Length + lengthError)).Concat(payload).ToArray();

    private static readonly Arbitrary<byte[]> FrameShapedStreams =
        (from frames in FrameShapedFrame.ListOf()
         from tail in ArbMap.Default.GeneratorFor<byte[]>()
         select frames.SelectMany(f => f).Concat(tail).ToArray())
        .ToArbitrary();

    /// <summary>
    /// Payloads built from protobuf-shaped fields: a tag for field 1..9 with any wire type, then a
    /// varint, fixed bytes, or a length and random bytes (often invalid UTF-8 or a broken nested message).
    /// </summary>
    private static readonly Arbitrary<byte[]> ProtobufShapedPayloads =
        (from fieldNumber in Gen.Choose(1, 9)
         from wireType in Gen.Frequency((8, Gen.Elements(0, 1, 2, 5)), (1, Gen.Elements(3, 4, 6, 7)))
         from number in ArbMap.Default.GeneratorFor<ulong>()
         from bytes in ArbMap.Default.GeneratorFor<byte[]>()
         select EncodeField(fieldNumber, wireType, number, bytes))
        .ListOf()
        .Select(fields => fields.SelectMany(f => f).ToArray())
        .ToArbitrary();

    private static byte[] EncodeField(int fieldNumber, int wireType, ulong number, byte[] bytes)
    {
        var field = new List<byte>();
        AppendVarint(field, (ulong)((fieldNumber << 3) | wireType));
        switch (wireType)
        {
            case 0:
                AppendVarint(field, number);
                break;
            case 1:
                field.AddRange(BitConverter.GetBytes(number));
                break;
            case 2:
                AppendVarint(field, (ulong)bytes.Length);
                field.AddRange(bytes);
                break;
            case 5:
                field.AddRange(BitConverter.GetBytes((uint)number));
                break;
            default:
                field.AddRange(bytes);
                break;
        }

        return field.ToArray();
    }

    private static void AppendVarint(List<byte> bytes, ulong value)
    {
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
    }

    /// <summary>Each known type: the payload behind a valid header decodes as that type, or is MALFORMED.</summary>
    private static void DecodesAsEveryKnownTypeOrIsMalformed(byte[] payload)
    {
        foreach (var type in FrameCodec.KnownTypes)
        {
            var bytes = Header(FrameLayout.Version, (byte)type, payload.Length).Concat(payload).ToArray();
            try
            {
                var frame = FrameReader.ReadSingle(bytes);
                Assert.Equal(type, frame.Type);
                Assert.NotNull(frame.Message);
                Assert.Equal(type, FrameCodec.TypeOf(frame.Message));
            }
            catch (ProtocolException e)
            {
                Assert.Equal(ErrorCode.Malformed, e.Code);
            }
        }
    }

    [Property(MaxTest = 1000)]
    public void Arbitrary_bytes_only_ever_yield_frames_need_more_or_a_protocol_exception(byte[] bytes)
    {
        ReadsOnlyFramesNeedMoreOrProtocolException(new ReadOnlySequence<byte>(bytes));
    }

    [Property(MaxTest = 1000)]
    public void Arbitrary_bytes_after_a_version_byte_only_ever_yield_frames_need_more_or_a_protocol_exception(byte[] bytes)
    {
        ReadsOnlyFramesNeedMoreOrProtocolException(new ReadOnlySequence<byte>([FrameLayout.Version, .. bytes]));
    }

    [Property(MaxTest = 1000)]
    public Property Frame_shaped_streams_only_ever_yield_frames_need_more_or_a_protocol_exception() =>
        Prop.ForAll(FrameShapedStreams, bytes => ReadsOnlyFramesNeedMoreOrProtocolException(new ReadOnlySequence<byte>(bytes)));

    [Property(MaxTest = 300)]
    public Property Frame_shaped_streams_split_into_two_segments_only_ever_yield_frames_need_more_or_a_protocol_exception() =>
        Prop.ForAll(FrameShapedStreams, bytes =>
        {
            for (var split = 0; split <= bytes.Length; split++)
            {
                ReadsOnlyFramesNeedMoreOrProtocolException(Segments.Split(bytes, split));
            }
        });

    [Property(MaxTest = 500)]
    public void Arbitrary_bytes_behind_a_valid_header_of_each_known_type_decode_or_are_malformed(byte[] payload)
    {
        DecodesAsEveryKnownTypeOrIsMalformed(payload);
    }

    [Property(MaxTest = 1000)]
    public Property Protobuf_shaped_payloads_behind_a_valid_header_of_each_known_type_decode_or_are_malformed() =>
        Prop.ForAll(ProtobufShapedPayloads, DecodesAsEveryKnownTypeOrIsMalformed);
}
