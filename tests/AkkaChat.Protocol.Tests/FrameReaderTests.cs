using System.Buffers;
using AkkaChat.Protocol.Messages;

namespace AkkaChat.Protocol.Tests;

public sealed class FrameReaderTests
{
    [Fact]
    public void A_ping_frame_round_trips_through_writer_and_reader()
    {
        var bytes = FrameWriter.ToBytes(new Ping { Nonce = 42 });
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.True(FrameReader.TryRead(ref buffer, out var frame));
        Assert.True(buffer.IsEmpty);
        Assert.Equal(FrameType.Ping, frame.Type);
        Assert.Equal(42UL, Assert.IsType<Ping>(frame.Message).Nonce);
    }
}
