namespace AkkaChat.Protocol;

/// <summary>
/// The rules of ../shared/PROTOCOL.md that both ends apply, written once: which ERROR codes end a
/// connection, and the field limits a client can check before it sends.
/// </summary>
public static class ProtocolRules
{
    /// <summary>Largest payload of one frame: the 2-byte length field.</summary>
    public const int MaxPayloadBytes = ushort.MaxValue;

    /// <summary>
    /// Longest client_msg_id (in characters) a node accepts unless its operator configures
    /// another (<c>akkachat.limits.max-client-msg-id-length</c>); a node answers a longer or an
    /// empty one with ERROR{BAD_REQUEST}.
    /// </summary>
    public const int DefaultMaxClientMsgIdLength = 64;

    /// <summary>
    /// Whether the server closes the connection after sending an ERROR with this code:
    /// UNSUPPORTED_VERSION and MALFORMED (the byte stream can no longer be trusted to be in
    /// frame), UNAUTHENTICATED and AUTH_FAILED (login rules), REPLACED (one session per user),
    /// IDLE_TIMEOUT and OVERLOADED (keep-alive and the connection limit). Every other code
    /// answers one request and the connection stays open.
    /// </summary>
    public static bool ClosesConnection(ErrorCode code) => code is ErrorCode.UnsupportedVersion or ErrorCode.Malformed
        or ErrorCode.Unauthenticated or ErrorCode.AuthFailed or ErrorCode.Replaced or ErrorCode.IdleTimeout or ErrorCode.Overloaded;

    /// <summary>Whether a client that got this ERROR must not log in again with the same credentials on its own.</summary>
    public static bool EndsSession(ErrorCode code) => code is ErrorCode.Replaced or ErrorCode.AuthFailed;
}
