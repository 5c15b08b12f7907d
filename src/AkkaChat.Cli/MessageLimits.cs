using System.Globalization;
using System.Text;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Cli;

/// <summary>
/// How much text one message can hold: a SEND frame's payload is at most 65,535 bytes
/// (../shared/PROTOCOL.md), and the recipient, the client_msg_id and the field tags take part of it.
/// A node may set a lower limit of its own (akkachat.limits.max-body-bytes); it answers TOO_LARGE.
/// </summary>
public static class MessageLimits
{
    /// <summary>The client_msg_id akkachat writes: a version 7 GUID, 32 hex digits.</summary>
    public const int ClientMsgIdLength = 32;

    /// <summary>The most UTF-8 bytes of text a SEND to <paramref name="to"/> can carry.</summary>
    public static int MaxTextBytes(string to)
    {
        var empty = new Send { ClientMsgId = new string('0', ClientMsgIdLength), To = to, Kind = (uint)MessageKind.Text };
        // The body field adds its tag (1 byte) and its length (a varint: 3 bytes for 16,384 and more).
        var frame = ProtocolRules.MaxPayloadBytes - empty.CalculateSize() - 1 - CodedOutputStream.ComputeLengthSize(ProtocolRules.MaxPayloadBytes);
        // Encrypted to a user, the body is an envelope: at most a PreKey envelope's overhead more. (To a
        // group it grows with every member; the SDK refuses a group envelope that does not fit, TOO_LARGE.)
        return !Invocation.Plaintext && ChatAddress.TryParse(to, out var address) && address.IsUser
            ? frame - AkkaChat.Client.Encryption.Envelope.Overhead(AkkaChat.Client.Encryption.EnvelopeType.PreKey)
            : frame;
    }

    public static int Bytes(string text) => Encoding.UTF8.GetByteCount(text);

    /// <summary>The refusal for text that does not fit, with its size and the limit.</summary>
    public static string TooLarge(int bytes, int limit) =>
        $"the message is {Format(bytes)} bytes; one message holds at most {Format(limit)} bytes of text " +
        "(larger content goes as a file: akkachat send TO --file PATH)";

    public static string Format(int bytes) => bytes.ToString("N0", CultureInfo.InvariantCulture);
}
