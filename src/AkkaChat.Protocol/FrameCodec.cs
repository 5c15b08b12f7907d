using System.Buffers;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Protocol;

/// <summary>
/// The one mapping between frame type codes and protobuf payload types, in both directions: one
/// table, one entry per frame type. Adding a frame type is one <see cref="Map{T}"/> line here (and
/// its code in <see cref="FrameType"/>).
/// </summary>
public static class FrameCodec
{
    // Indexed by type code; null where the code is not assigned. An array, not a switch, so that
    // "is this code known" and "which parser" are one array load on the hot path.
    private static readonly MessageParser?[] Parsers = new MessageParser?[256];

    // Payload CLR type -> frame type, the reverse direction of the same table.
    private static readonly Dictionary<Type, FrameType> Types = new();

    private static readonly List<(FrameType Type, Type Payload, MessageParser Parser)> AllEntries = new();

    static FrameCodec()
    {
        // client to server
        Map<AuthRequestCode>(FrameType.AuthRequestCode);
        Map<AuthVerify>(FrameType.AuthVerify);
        Map<AuthLogin>(FrameType.AuthLogin);
        Map<Ping>(FrameType.Ping);
        Map<Send>(FrameType.Send);
        Map<Ack>(FrameType.Ack);
        Map<Read>(FrameType.Read);
        Map<Typing>(FrameType.Typing);
        Map<PresenceSubscribe>(FrameType.PresenceSubscribe);
        Map<ContactsSync>(FrameType.ContactsSync);
        Map<GroupCreate>(FrameType.GroupCreate);
        Map<GroupUpdate>(FrameType.GroupUpdate);
        Map<GroupGet>(FrameType.GroupGet);
        Map<StatusPost>(FrameType.StatusPost);
        Map<KeysUpload>(FrameType.KeysUpload);
        Map<KeysFetch>(FrameType.KeysFetch);

        // server to client
        Map<AuthCodeSent>(FrameType.AuthCodeSent);
        Map<AuthOk>(FrameType.AuthOk);
        Map<Pong>(FrameType.Pong);
        Map<Error>(FrameType.Error);
        Map<SendAck>(FrameType.SendAck);
        Map<Deliver>(FrameType.Deliver);
        Map<Receipt>(FrameType.Receipt);
        Map<TypingNotify>(FrameType.TypingNotify);
        Map<Presence>(FrameType.Presence);
        Map<ContactsResult>(FrameType.ContactsResult);
        Map<GroupInfo>(FrameType.GroupInfo);
        Map<StatusUpdate>(FrameType.StatusUpdate);
        Map<KeyBundle>(FrameType.KeyBundle);
        Map<KeysLow>(FrameType.KeysLow);

        KnownTypes = Types.Values.OrderBy(t => (byte)t).ToArray();
    }

    private static void Map<T>(FrameType type)
        where T : IMessage<T>, new()
    {
        if (Parsers[(byte)type] is not null || !Types.TryAdd(typeof(T), type))
        {
            throw new InvalidOperationException($"{type} or {typeof(T).Name} is mapped twice");
        }

        Parsers[(byte)type] = new T().Descriptor.Parser;
        AllEntries.Add((type, typeof(T), Parsers[(byte)type]!));
    }

    /// <summary>The table itself: every frame type with its payload type and parser, in code order.</summary>
    public static IReadOnlyList<(FrameType Type, Type Payload, MessageParser Parser)> Entries =>
        AllEntries.OrderBy(e => (byte)e.Type).ToArray();

    /// <summary>All assigned frame types, in code order.</summary>
    public static IReadOnlyList<FrameType> KnownTypes { get; }

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
    public static FrameType TypeOf(IMessage message) =>
        TryGetType(message.GetType(), out var type)
            ? type
            : throw new ArgumentException($"{message.GetType().Name} is not a frame payload", nameof(message));

    /// <summary>The frame type whose payload is <paramref name="messageType"/>, if it is one.</summary>
    public static bool TryGetType(Type messageType, out FrameType type) => Types.TryGetValue(messageType, out type);

    /// <summary>
    /// True if <paramref name="message"/> is the payload of a server-to-client frame type: what a
    /// server may write to a client.
    /// </summary>
    public static bool IsServerToClient(object message) =>
        message is IMessage && Types.TryGetValue(message.GetType(), out var type) && !type.IsClientToServer();
}
