using System.Buffers;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Protocol.Tests;

/// <summary>The reader over a byte stream that arrives in arbitrary pieces.</summary>
public sealed class FrameStreamTests
{
    private static readonly IMessage[] Messages =
    [
        new Ping { Nonce = 1 },
        new Ack(),
        new Send { ClientMsgId = "c-1", To = "+15550001", Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("hello") },
        FrameSamples.All.OfType<KeysUpload>().Single(),
        FrameSamples.All.OfType<GroupInfo>().Single(),
    ];

    private static readonly byte[] Stream = Messages.SelectMany(FrameWriter.ToBytes).ToArray();

    /// <summary>The offset in <see cref="Stream"/> at which each frame ends.</summary>
    private static readonly int[] FrameEnds = EndsOfFrames();

    private static int[] EndsOfFrames()
    {
        var ends = new int[Messages.Length];
        var end = 0;
        for (var i = 0; i < Messages.Length; i++)
        {
            end += FrameLayout.HeaderSize + Messages[i].CalculateSize();
            ends[i] = end;
        }

        return ends;
    }

    /// <summary>Reads frames until the reader asks for more; returns them and what it left.</summary>
    private static (List<Frame> Frames, ReadOnlySequence<byte> Unconsumed) ReadAll(ReadOnlySequence<byte> buffer)
    {
        var frames = new List<Frame>();
        while (FrameReader.TryRead(ref buffer, out var frame))
        {
            frames.Add(frame);
        }

        return (frames, buffer);
    }

    /// <summary>
    /// What reading <paramref name="prefixLength"/> bytes of the stream must give: every frame that
    /// ends within them, and the partial frame after those left unconsumed.
    /// </summary>
    private static void AssertReadsAsPrefix(ReadOnlySequence<byte> buffer, int prefixLength)
    {
        var complete = FrameEnds.Count(end => end <= prefixLength);
        var consumed = complete == 0 ? 0 : FrameEnds[complete - 1];

        var (frames, rest) = ReadAll(buffer);

        Assert.Equal(Messages.Take(complete), frames.Select(f => f.Message));
        Assert.Equal(Stream.AsSpan(consumed, prefixLength - consumed).ToArray(), rest.ToArray());
    }

    [Fact]
    public void The_stream_holds_five_different_frame_types()
    {
        Assert.Equal(5, Messages.Select(FrameCodec.TypeOf).Distinct().Count());
        Assert.Equal(Stream.Length, FrameEnds[^1]);
    }

    [Fact]
    public void Every_prefix_of_the_first_frame_reads_as_need_more_and_consumes_nothing()
    {
        for (var length = 0; length < FrameEnds[0]; length++)
        {
            var buffer = new ReadOnlySequence<byte>(Stream, 0, length);
            var before = buffer;

            Assert.False(FrameReader.TryRead(ref buffer, out _));
            Assert.Equal(before, buffer);
        }
    }

    [Fact]
    public void Every_prefix_of_a_valid_stream_yields_its_complete_frames_and_leaves_the_partial_one_unconsumed()
    {
        for (var length = 0; length <= Stream.Length; length++)
        {
            AssertReadsAsPrefix(new ReadOnlySequence<byte>(Stream, 0, length), length);
        }
    }

    [Fact]
    public void Every_two_segment_split_of_a_valid_stream_reads_the_same_frames()
    {
        for (var split = 0; split <= Stream.Length; split++)
        {
            var (frames, rest) = ReadAll(Segments.Split(Stream, split));

            Assert.Equal(Messages, frames.Select(f => f.Message));
            Assert.True(rest.IsEmpty, $"split at {split} left {rest.Length} bytes");
        }
    }

    [Fact]
    public void Every_prefix_of_every_two_segment_split_reads_like_the_contiguous_prefix()
    {
        for (var length = 0; length <= Stream.Length; length++)
        {
            var prefix = Stream[..length];
            for (var split = 0; split <= length; split++)
            {
                AssertReadsAsPrefix(Segments.Split(prefix, split), length);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_header_that_spans_two_segments_is_read_whole(int bytesOfHeaderInFirstSegment)
    {
        var secondFrameStart = FrameEnds[0];
        var buffer = Segments.Split(Stream, secondFrameStart + bytesOfHeaderInFirstSegment);

        Assert.True(FrameReader.TryRead(ref buffer, out var first));
        Assert.False(buffer.IsSingleSegment);
        Assert.True(FrameReader.TryRead(ref buffer, out var second));

        Assert.Equal(Messages[0], first.Message);
        Assert.Equal(Messages[1], second.Message);
        Assert.Equal(Stream.Length - FrameEnds[1], buffer.Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_header_split_across_segments_with_the_payload_missing_reads_as_need_more(int bytesOfHeaderInFirstSegment)
    {
        var frame = FrameWriter.ToBytes(Messages[2]);
        var buffer = Segments.Split(frame[..(FrameLayout.HeaderSize + 1)], bytesOfHeaderInFirstSegment);
        var before = buffer;

        Assert.False(FrameReader.TryRead(ref buffer, out _));
        Assert.Equal(before, buffer);
    }

    // Regression: the reader took the version byte from FirstSpan[0], but a non-empty sequence may
    // start with an empty segment (FirstSpan empty); that threw IndexOutOfRangeException.
    [Fact]
    public void A_stream_whose_first_segment_is_empty_reads_its_frames()
    {
        var buffer = Segments.Split(Stream, 0);

        Assert.True(buffer.FirstSpan.IsEmpty);
        Assert.True(FrameReader.TryRead(ref buffer, out var frame));
        Assert.Equal(Messages[0], frame.Message);
    }

    [Fact]
    public void A_wrong_version_behind_an_empty_first_segment_is_rejected_as_unsupported_version()
    {
        var buffer = Segments.Split([2], 0);

        var error = Assert.Throws<ProtocolException>(() => FrameReader.TryRead(ref buffer, out _));
        Assert.Equal(ErrorCode.UnsupportedVersion, error.Code);
    }
}
