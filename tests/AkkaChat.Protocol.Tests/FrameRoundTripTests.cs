using System.Buffers;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Protocol.Tests;

public sealed class FrameRoundTripTests
{
    public static TheoryData<FrameType> KnownTypes() => new(FrameCodec.KnownTypes);

    private static IMessage SampleOf(FrameType type) => FrameSamples.All.Single(m => FrameCodec.TypeOf(m) == type);

    [Fact]
    public void The_samples_cover_every_known_frame_type_exactly_once()
    {
        var sampled = FrameSamples.All.Select(FrameCodec.TypeOf).ToList();

        Assert.Equal(sampled.Count, sampled.Distinct().Count());
        Assert.Equal(FrameCodec.KnownTypes.OrderBy(t => t), sampled.OrderBy(t => t));
    }

    [Theory]
    [MemberData(nameof(KnownTypes))]
    public void Every_sample_sets_every_field_including_nested_and_repeated_ones(FrameType type)
    {
        Assert.Empty(FrameSamples.FieldsAtDefault(SampleOf(type)));
    }

    [Theory]
    [MemberData(nameof(KnownTypes))]
    public void Every_frame_type_round_trips_with_all_fields_set_through_writer_and_reader(FrameType type)
    {
        var message = SampleOf(type);
        var writer = new ArrayBufferWriter<byte>();

        FrameWriter.Write(writer, message);
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);

        Assert.True(FrameReader.TryRead(ref buffer, out var frame));
        Assert.True(buffer.IsEmpty);
        Assert.Equal(type, frame.Type);
        Assert.True(frame.IsKnown);
        Assert.Equal(message, frame.Message);
        Assert.Equal(FrameLayout.Version, writer.WrittenSpan[0]);
        Assert.Equal((byte)type, writer.WrittenSpan[1]);
        Assert.Equal(message.CalculateSize(), (writer.WrittenSpan[2] << 8) | writer.WrittenSpan[3]);
    }

    [Theory]
    [MemberData(nameof(KnownTypes))]
    public void To_bytes_writes_the_same_bytes_as_the_buffer_writer(FrameType type)
    {
        var message = SampleOf(type);
        var writer = new ArrayBufferWriter<byte>();

        FrameWriter.Write(writer, message);

        Assert.Equal(writer.WrittenSpan.ToArray(), FrameWriter.ToBytes(message));
    }

    [Theory]
    [MemberData(nameof(KnownTypes))]
    public void An_empty_payload_decodes_as_the_message_with_all_defaults(FrameType type)
    {
        var frame = FrameReader.ReadSingle(new byte[] { FrameLayout.Version, (byte)type, 0, 0 });

        Assert.Equal(type, frame.Type);
        var message = Assert.IsAssignableFrom<IMessage>(frame.Message);
        Assert.Equal(SampleOf(type).Descriptor, message.Descriptor);
        Assert.Equal(0, message.CalculateSize());
    }

    [Fact]
    public void Frame_of_a_message_carries_its_type_code()
    {
        Assert.Equal(new Frame(FrameType.Ack, new Ack { UpToSeq = 1 }), Frame.Of(new Ack { UpToSeq = 1 }));
    }

    [Fact]
    public void A_nested_message_is_not_a_frame_payload()
    {
        Assert.Throws<ArgumentException>(() => FrameCodec.TypeOf(new PreKey()));
        Assert.Throws<ArgumentException>(() => FrameWriter.ToBytes(new GroupMember()));
    }

    [Fact]
    public void The_known_type_codes_are_those_of_the_protocol_tables()
    {
        byte[] clientToServer = [0x01, 0x02, 0x03, 0x04, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x20, 0x21, 0x22, 0x28, 0x30, 0x31];
        byte[] serverToClient = [0x81, 0x82, 0x84, 0x8F, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0xA0, 0xA8, 0xB0, 0xB1];

        Assert.Equal(clientToServer, FrameCodec.KnownTypes.Where(t => t.IsClientToServer()).Select(t => (byte)t));
        Assert.Equal(serverToClient, FrameCodec.KnownTypes.Where(t => !t.IsClientToServer()).Select(t => (byte)t));
    }

    [Fact]
    public void Only_auth_frames_and_ping_are_allowed_before_authentication()
    {
        Assert.Equal(
            [FrameType.AuthRequestCode, FrameType.AuthVerify, FrameType.AuthLogin, FrameType.Ping],
            FrameCodec.KnownTypes.Where(t => t.IsAllowedBeforeAuth()));
    }
}
