namespace AkkaChat.Protocol;

/// <summary>The <c>code</c> of an ERROR frame.</summary>
public enum ErrorCode : uint
{
    /// <summary>Frame version byte is not 1. The server closes the connection.</summary>
    UnsupportedVersion = 1,
    /// <summary>Frame type is not known. The connection stays open.</summary>
    UnknownType = 2,
    /// <summary>Payload is not valid protobuf for its type. The server closes the connection.</summary>
    Malformed = 3,
    /// <summary>A non-AUTH, non-PING frame before login. The server closes the connection.</summary>
    Unauthenticated = 4,
    /// <summary>Wrong or expired code, or wrong token. The server closes the connection.</summary>
    AuthFailed = 5,
    BadRequest = 6,
    RateLimited = 7,
    NotFound = 8,
    Forbidden = 9,
    /// <summary>A newer login of the same user took over; this connection is closed.</summary>
    Replaced = 10,
    TooLarge = 11,
    Internal = 12,
    /// <summary>The node is at its connection limit; the new connection is closed.</summary>
    Overloaded = 13,
    /// <summary>Nothing was received for the idle timeout; the connection is closed.</summary>
    IdleTimeout = 14,
}

/// <summary>The <c>kind</c> of a message or status (carried as uint32).</summary>
public enum MessageKind : uint
{
    Text = 1,
    Image = 2,
    /// <summary>A voice message.</summary>
    Audio = 3,
    Video = 4,
    Document = 5,
    Location = 6,
    Contact = 7,
}

/// <summary>The <c>status</c> of a RECEIPT (carried as uint32).</summary>
public enum ReceiptStatus : uint
{
    Delivered = 2,
    Read = 3,
}

/// <summary>The <c>state</c> of TYPING / TYPING_NOTIFY (carried as uint32).</summary>
public enum TypingState : uint
{
    Paused = 0,
    Composing = 1,
    Recording = 2,
}
