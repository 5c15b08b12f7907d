using System.Buffers;

namespace AkkaChat.Protocol.Tests;

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/>s, as a pipe hands them out.</summary>
internal static class Segments
{
    /// <summary><paramref name="bytes"/> as two segments, cut before index <paramref name="split"/> (either may be empty).</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, int split)
    {
        var first = new Segment(bytes[..split], runningIndex: 0);
        var last = first.Append(bytes[split..]);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
