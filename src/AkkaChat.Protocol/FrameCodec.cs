using System.Buffers;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Protocol;

/// <summary>
/// The one mapping between frame type codes and protobuf payload types, in both directions.
/// </summary>
public static class FrameCodec
{
    // Indexed by type code; null where the code is not assigned. A table, not a switch, so that
    // "is this code known" and "which parser" are one array load on the hot path.
    private static readonly MessageParser?[] Parsers = BuildParsers();

    private static MessageParser?[] BuildParsers()
    {
        var table = new MessageParser?[256];
        table[(byte)FrameType.AuthRequestCode] = AuthRequestCode.Parser;
        table[(byte)FrameType.AuthVerify] = AuthVerify.Parser;
        table[(byte)FrameType.AuthLogin] = AuthLogin.Parser;
        table[(byte)FrameType.Ping] = Ping.Parser;
        table[(byte)FrameType.Send] = Send.Parser;
        table[(byte)FrameType.Ack] = Ack.Parser;
        table[(byte)FrameType.Read] = Read.Parser;
        table[(byte)FrameType.Typing] = Typing.Parser;
        table[(byte)FrameType.PresenceSubscribe] = PresenceSubscribe.Parser;
        table[(byte)FrameType.ContactsSync] = ContactsSync.Parser;
        table[(byte)FrameType.GroupCreate] = GroupCreate.Parser;
        table[(byte)FrameType.GroupUpdate] = GroupUpdate.Parser;
        table[(byte)FrameType.GroupGet] = GroupGet.Parser;
        table[(byte)FrameType.StatusPost] = StatusPost.Parser;
        table[(byte)FrameType.KeysUpload] = KeysUpload.Parser;
        table[(byte)FrameType.KeysFetch] = KeysFetch.Parser;
        table[(byte)FrameType.AuthCodeSent] = AuthCodeSent.Parser;
        table[(byte)FrameType.AuthOk] = AuthOk.Parser;
        table[(byte)FrameType.Pong] = Pong.Parser;
        table[(byte)FrameType.Error] = Error.Parser;
        table[(byte)FrameType.SendAck] = SendAck.Parser;
        table[(byte)FrameType.Deliver] = Deliver.Parser;
        table[(byte)FrameType.Receipt] = Receipt.Parser;
        table[(byte)FrameType.TypingNotify] = TypingNotify.Parser;
        table[(byte)FrameType.Presence] = Presence.Parser;
        table[(byte)FrameType.ContactsResult] = ContactsResult.Parser;
        table[(byte)FrameType.GroupInfo] = GroupInfo.Parser;
        table[(byte)FrameType.StatusUpdate] = StatusUpdate.Parser;
        table[(byte)FrameType.KeyBundle] = KeyBundle.Parser;
        table[(byte)FrameType.KeysLow] = KeysLow.Parser;
        return table;
    }

    /// <summary>All assigned frame types, in code order.</summary>
    public static IReadOnlyList<FrameType> KnownTypes { get; } =
        Enum.GetValues<FrameType>().OrderBy(t => (byte)t).ToArray();

    public static bool IsKnown(byte typeCode) => Parsers[typeCode] is not null;

    /// <summary>
    /// Parses <paramref name="payload"/> as the message of <paramref name="type"/>.
    /// Throws <see cref="ProtocolException"/> with UNKNOWN_TYPE for an unassigned code and
    /// MALFORMED for bytes that are not valid protobuf for that type.
    /// </summary>
    public static IMessage Decode(FrameType type, in ReadOnlySequence<byte> payload)
    {
        var parser = Parsers[(byte)type]
            ?? throw new ProtocolException(ErrorCode.UnknownType, $"unknown frame type 0x{(byte)type:X2}");
        try
        {
            return parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ProtocolException(ErrorCode.Malformed, $"malformed {type} payload: {e.Message}", e);
        }
    }

    /// <summary>The frame type that carries <paramref name="message"/>.</summary>
    public static FrameType TypeOf(IMessage message) => message switch
    {
        AuthRequestCode => FrameType.AuthRequestCode,
        AuthVerify => FrameType.AuthVerify,
        AuthLogin => FrameType.AuthLogin,
        Ping => FrameType.Ping,
        Send => FrameType.Send,
        Ack => FrameType.Ack,
        Read => FrameType.Read,
        Typing => FrameType.Typing,
        PresenceSubscribe => FrameType.PresenceSubscribe,
        ContactsSync => FrameType.ContactsSync,
        GroupCreate => FrameType.GroupCreate,
        GroupUpdate => FrameType.GroupUpdate,
        GroupGet => FrameType.GroupGet,
        StatusPost => FrameType.StatusPost,
        KeysUpload => FrameType.KeysUpload,
        KeysFetch => FrameType.KeysFetch,
        AuthCodeSent => FrameType.AuthCodeSent,
        AuthOk => FrameType.AuthOk,
        Pong => FrameType.Pong,
        Error => FrameType.Error,
        SendAck => FrameType.SendAck,
        Deliver => FrameType.Deliver,
        Receipt => FrameType.Receipt,
        TypingNotify => FrameType.TypingNotify,
        Presence => FrameType.Presence,
        ContactsResult => FrameType.ContactsResult,
        GroupInfo => FrameType.GroupInfo,
        StatusUpdate => FrameType.StatusUpdate,
        KeyBundle => FrameType.KeyBundle,
        KeysLow => FrameType.KeysLow,
        _ => throw new ArgumentException($"{message.GetType().Name} is not a frame payload", nameof(message)),
    };
}
