using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;

namespace AkkaChat.Protocol;

/// <summary>Writes frames: header and protobuf payload, straight into the destination buffer.</summary>
public static class FrameWriter
{
    /// <summary>
    /// Writes <paramref name="message"/> as one frame. Throws <see cref="ProtocolException"/> with
    /// TOO_LARGE when the payload exceeds 65,535 bytes; nothing is written then.
    /// </summary>
    public static void Write(IBufferWriter<byte> writer, IMessage message)
    {
        var (type, length) = Measure(message);
        var size = FrameLayout.HeaderSize + length;
        WriteFrame(writer.GetSpan(size), type, length, message);
        writer.Advance(size);
    }

    /// <summary>The whole frame as a new array of exactly its size.</summary>
    public static byte[] ToBytes(IMessage message)
    {
        var (type, length) = Measure(message);
        var bytes = new byte[FrameLayout.HeaderSize + length];
        WriteFrame(bytes, type, length, message);
        return bytes;
    }

    private static (FrameType Type, int Length) Measure(IMessage message)
    {
        var type = FrameCodec.TypeOf(message);
        var length = message.CalculateSize();
        if (length > FrameLayout.MaxPayloadSize)
        {
            throw new ProtocolException(ErrorCode.TooLarge,
                $"{type} payload is {length} bytes; a frame carries at most {FrameLayout.MaxPayloadSize}");
        }

        return (type, length);
    }

    private static void WriteFrame(Span<byte> destination, FrameType type, int length, IMessage message)
    {
        destination[0] = FrameLayout.Version;
        destination[1] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
        message.WriteTo(destination.Slice(FrameLayout.HeaderSize, length));
    }

    /// <summary>Writes a frame with a raw type code and payload; used to produce frames this library would not.</summary>
    public static void WriteRaw(IBufferWriter<byte> writer, byte version, byte typeCode, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > FrameLayout.MaxPayloadSize)
        {
            throw new ProtocolException(ErrorCode.TooLarge, $"payload is {payload.Length} bytes");
        }

        var span = writer.GetSpan(FrameLayout.HeaderSize + payload.Length);
        span[0] = version;
        span[1] = typeCode;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)payload.Length);
        payload.CopyTo(span[FrameLayout.HeaderSize..]);
        writer.Advance(FrameLayout.HeaderSize + payload.Length);
    }
}
