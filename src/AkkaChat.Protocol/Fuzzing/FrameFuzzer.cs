using System.Buffers.Binary;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Protocol.Fuzzing;

/// <summary>What a fuzzed frame is made of.</summary>
public enum FuzzKind
{
    /// <summary>Bytes with no structure at all.</summary>
    RandomBytes,

    /// <summary>A valid frame of some client type with a few bytes of its payload flipped.</summary>
    MutatedValid,

    /// <summary>A valid frame whose length field is shorter or longer than its payload.</summary>
    WrongLength,

    /// <summary>A valid frame with a version byte other than 1.</summary>
    WrongVersion,

    /// <summary>A payload of one repeated field filling the frame (READ with thousands of ids).</summary>
    HugeRepeatedField,

    /// <summary>A string field holding bytes that are not UTF-8.</summary>
    InvalidUtf8,

    /// <summary>A well-formed frame of a random client-to-server type, valid or not for the phase.</summary>
    ValidOfEveryType,
}

/// <summary>
/// Frames to throw at a node: every <see cref="FuzzKind"/>, drawn from a seeded generator so a run
/// that finds something can be repeated. Valid frames come from one sample of each client-to-server
/// type of the codec table, addressed to <c>peer</c> where a frame names a user.
/// </summary>
public sealed class FrameFuzzer
{
    private static readonly FuzzKind[] Kinds = Enum.GetValues<FuzzKind>();

    private readonly Random _random;
    private readonly IMessage[] _samples;

    public FrameFuzzer(int seed, string peer)
    {
        _random = new Random(seed);
        _samples = FrameCodec.Entries
            .Where(e => e.Type.IsClientToServer())
            .Select(e => Sample(e.Payload, peer))
            .ToArray();
    }

    /// <summary>One fuzzed frame (or, for <see cref="FuzzKind.RandomBytes"/>, a run of bytes).</summary>
    public byte[] Next(out FuzzKind kind)
    {
        kind = Kinds[_random.Next(Kinds.Length)];
        return kind switch
        {
            FuzzKind.RandomBytes => RandomBytes(_random.Next(1, 300)),
            FuzzKind.MutatedValid => Mutate(FrameWriter.ToBytes(AnySample())),
            FuzzKind.WrongLength => WrongLength(FrameWriter.ToBytes(AnySample())),
            FuzzKind.WrongVersion => WrongVersion(FrameWriter.ToBytes(AnySample())),
            FuzzKind.HugeRepeatedField => HugeRead(),
            FuzzKind.InvalidUtf8 => InvalidUtf8(),
            _ => FrameWriter.ToBytes(AnySample()),
        };
    }

    /// <summary>A kind after which the node closes the connection or cannot know where the next frame starts.</summary>
    public static bool Desynchronises(FuzzKind kind) =>
        kind is FuzzKind.RandomBytes or FuzzKind.WrongLength or FuzzKind.WrongVersion or FuzzKind.MutatedValid or FuzzKind.InvalidUtf8;

    private IMessage AnySample() => _samples[_random.Next(_samples.Length)];

    private byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        _random.NextBytes(bytes);
        return bytes;
    }

    private byte[] Mutate(byte[] frame)
    {
        if (frame.Length <= FrameLayout.HeaderSize)
        {
            return frame;
        }

        for (var flips = _random.Next(1, 4); flips > 0; flips--)
        {
            frame[_random.Next(FrameLayout.HeaderSize, frame.Length)] ^= (byte)_random.Next(1, 256);
        }

        return frame;
    }

    private byte[] WrongLength(byte[] frame)
    {
        var payload = frame.Length - FrameLayout.HeaderSize;
        var wrong = _random.Next(2) == 0 ? Math.Max(0, payload - _random.Next(1, 8)) : payload + _random.Next(1, 2000);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)Math.Min(wrong, ushort.MaxValue));
        return frame;
    }

    private byte[] WrongVersion(byte[] frame)
    {
        frame[0] = (byte)(_random.Next(2, 257) & 0xFF);
        return frame;
    }

    private byte[] HugeRead()
    {
        var read = new Read { From = "+15550000000" };
        while (read.CalculateSize() < FrameLayout.MaxPayloadSize - 64)
        {
            read.ServerMsgIds.Add("0123456789abcdef0123456789abcdef");
        }

        return FrameWriter.ToBytes(read);
    }

    private byte[] InvalidUtf8()
    {
        // AUTH_REQUEST_CODE{phone = bytes that are not UTF-8}: field 1, wire type 2.
        var text = new byte[] { 0xC3, 0x28, 0xFF, 0xFE, 0x80 };
        var payload = new byte[2 + text.Length];
        payload[0] = 0x0A;
        payload[1] = (byte)text.Length;
        text.CopyTo(payload, 2);
        var frame = new byte[FrameLayout.HeaderSize + payload.Length];
        frame[0] = FrameLayout.Version;
        frame[1] = (byte)(_random.Next(2) == 0 ? FrameType.AuthRequestCode : FrameType.Send);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
        payload.CopyTo(frame, FrameLayout.HeaderSize);
        return frame;
    }

    private static IMessage Sample(Type payload, string peer)
    {
        var message = (IMessage)Activator.CreateInstance(payload)!;
        switch (message)
        {
            case AuthRequestCode m:
                m.Phone = peer;
                break;
            case AuthVerify m:
                m.Phone = peer;
                m.Code = "000000";
                break;
            case AuthLogin m:
                m.Phone = peer;
                m.Token = ByteString.CopyFrom(new byte[32]);
                break;
            case Send m:
                m.To = peer;
                m.ClientMsgId = "fuzz";
                m.Kind = (uint)MessageKind.Text;
                m.Body = ByteString.CopyFromUtf8("fuzz");
                break;
            case Ack m:
                m.UpToSeq = 1;
                break;
            case Read m:
                m.From = peer;
                m.ServerMsgIds.Add("0123456789abcdef0123456789abcdef");
                break;
        }

        return message;
    }
}
