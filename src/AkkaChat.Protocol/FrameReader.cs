using System.Buffers;
using System.Buffers.Binary;

namespace AkkaChat.Protocol;

/// <summary>
/// Reads frames off a byte stream. A pure function over <see cref="ReadOnlySequence{T}"/>: no state,
/// no copies of the payload beyond what protobuf parsing makes.
/// <code>
/// +---------+--------+-------------------+-----------------+
/// | version | type   | length            | payload         |
/// | 1 byte  | 1 byte | 2 bytes, big-end. | `length` bytes  |
/// +---------+--------+-------------------+-----------------+
/// </code>
/// </summary>
public static class FrameReader
{
    /// <summary>
    /// Tries to read one frame from the start of <paramref name="buffer"/>.
    /// <list type="bullet">
    /// <item>Returns false and leaves <paramref name="buffer"/> untouched when the frame is not complete yet.</item>
    /// <item>Returns true and advances <paramref name="buffer"/> past the frame when it is complete;
    ///   a frame with an unassigned type code comes back with a null message (answer UNKNOWN_TYPE,
    ///   keep the connection).</item>
    /// <item>Throws <see cref="ProtocolException"/> (UNSUPPORTED_VERSION, MALFORMED) and leaves
    ///   <paramref name="buffer"/> untouched when the stream is not valid; the version byte is
    ///   checked as soon as it arrives, before the rest of the frame is buffered.</item>
    /// </list>
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out Frame frame)
    {
        frame = default;
        if (buffer.IsEmpty)
        {
            return false;
        }

        // Copied rather than read from FirstSpan: the header may span segments, and FirstSpan is empty
        // when the sequence starts at the end of a segment.
        Span<byte> header = stackalloc byte[FrameLayout.HeaderSize];
        var available = (int)Math.Min(buffer.Length, FrameLayout.HeaderSize);
        buffer.Slice(0, available).CopyTo(header);

        var version = header[0];
        if (version != FrameLayout.Version)
        {
            throw new ProtocolException(ErrorCode.UnsupportedVersion, $"unsupported protocol version {version}");
        }

        if (available < FrameLayout.HeaderSize)
        {
            return false;
        }

        var typeCode = header[1];
        int length = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        if (buffer.Length < FrameLayout.HeaderSize + length)
        {
            return false;
        }

        var payload = buffer.Slice(FrameLayout.HeaderSize, length);
        var type = (FrameType)typeCode;
        frame = FrameCodec.IsKnown(typeCode)
            ? new Frame(type, FrameCodec.Decode(type, payload))
            : new Frame(type, null);

        buffer = buffer.Slice(payload.End);
        return true;
    }

    /// <summary>
    /// Reads exactly one complete frame (as cut by a length-field framer). Throws
    /// <see cref="ProtocolException"/> (MALFORMED) when the bytes are not exactly one frame.
    /// </summary>
    public static Frame ReadSingle(ReadOnlySequence<byte> bytes)
    {
        var rest = bytes;
        if (!TryRead(ref rest, out var frame) || !rest.IsEmpty)
        {
            throw new ProtocolException(ErrorCode.Malformed, "buffer does not hold exactly one frame");
        }

        return frame;
    }

    public static Frame ReadSingle(ReadOnlyMemory<byte> bytes) => ReadSingle(new ReadOnlySequence<byte>(bytes));
}
