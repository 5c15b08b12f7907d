namespace AkkaChat.Protocol;

/// <summary>
/// The <c>type</c> byte of a frame. Codes below 0x80 travel client to server, 0x80 and above
/// server to client. Each code carries exactly one protobuf payload (see <see cref="FrameCodec"/>).
/// </summary>
public enum FrameType : byte
{
    // client to server
    AuthRequestCode = 0x01,
    AuthVerify = 0x02,
    AuthLogin = 0x03,
    Ping = 0x04,
    Send = 0x10,
    Ack = 0x11,
    Read = 0x12,
    Typing = 0x13,
    PresenceSubscribe = 0x14,
    ContactsSync = 0x15,
    GroupCreate = 0x20,
    GroupUpdate = 0x21,
    GroupGet = 0x22,
    StatusPost = 0x28,
    KeysUpload = 0x30,
    KeysFetch = 0x31,

    // server to client
    AuthCodeSent = 0x81,
    AuthOk = 0x82,
    Pong = 0x84,
    Error = 0x8F,
    SendAck = 0x90,
    Deliver = 0x91,
    Receipt = 0x92,
    TypingNotify = 0x93,
    Presence = 0x94,
    ContactsResult = 0x95,
    GroupInfo = 0xA0,
    StatusUpdate = 0xA8,
    KeyBundle = 0xB0,
    KeysLow = 0xB1,
}

public static class FrameTypeExtensions
{
    /// <summary>True for the types a client sends (codes below 0x80).</summary>
    public static bool IsClientToServer(this FrameType type) => (byte)type < 0x80;

    /// <summary>True for the types that may be sent before authentication: AUTH_* and PING.</summary>
    public static bool IsAllowedBeforeAuth(this FrameType type) =>
        type is FrameType.AuthRequestCode or FrameType.AuthVerify or FrameType.AuthLogin or FrameType.Ping;
}
