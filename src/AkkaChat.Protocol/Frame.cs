using Google.Protobuf;

namespace AkkaChat.Protocol;

/// <summary>
/// One decoded frame. <see cref="Message"/> is the typed payload, or null when the type code is not
/// one this library knows (the peer then answers ERROR{UNKNOWN_TYPE} and the connection stays open).
/// </summary>
public readonly record struct Frame(FrameType Type, IMessage? Message)
{
    /// <summary>True when <see cref="Type"/> is a known code and <see cref="Message"/> is set.</summary>
    public bool IsKnown => Message is not null;

    public static Frame Of(IMessage message) => new(FrameCodec.TypeOf(message), message);
}

/// <summary>Fixed facts of the frame layout.</summary>
public static class FrameLayout
{
    /// <summary>The only protocol version: the first byte of every frame.</summary>
    public const byte Version = 1;

    /// <summary>version (1) + type (1) + length (2, big-endian).</summary>
    public const int HeaderSize = 4;

    /// <summary>The 2-byte length field bounds every payload.</summary>
    public const int MaxPayloadSize = ushort.MaxValue;

    public const int MaxFrameSize = HeaderSize + MaxPayloadSize;
}
