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
    /// Whether the server closes the connection after sending an ERROR with this code and ref:
    /// UNSUPPORTED_VERSION and MALFORMED (the byte stream can no longer be trusted to be in
    /// frame), UNAUTHENTICATED and AUTH_FAILED (login rules), REPLACED (one session per user),
    /// IDLE_TIMEOUT (keep-alive), and OVERLOADED without a ref (the answer to a new connection at
    /// the node's connection limit). OVERLOADED with a ref answers one request (a SEND the node
    /// could not take on now, by its client_msg_id) and, like RATE_LIMITED, keeps the connection
    /// open. Every other code answers one request and the connection stays open.
    /// </summary>
    public static bool ClosesConnection(ErrorCode code, string? reference = null) => code switch
    {
        ErrorCode.Overloaded => string.IsNullOrEmpty(reference),
        ErrorCode.UnsupportedVersion or ErrorCode.Malformed or ErrorCode.Unauthenticated or ErrorCode.AuthFailed
            or ErrorCode.Replaced or ErrorCode.IdleTimeout => true,
        _ => false,
    };

    /// <summary>
    /// Whether a request refused with this code may be sent again unchanged later and succeed:
    /// RATE_LIMITED (the sender's limit) and OVERLOADED (the node's capacity). A SEND refused so was
    /// not acknowledged; resending its client_msg_id is safe, since the pair (sender,
    /// client_msg_id) is idempotent.
    /// </summary>
    public static bool IsRetryLater(ErrorCode code) => code is ErrorCode.RateLimited or ErrorCode.Overloaded;

    /// <summary>Whether a client that got this ERROR must not log in again with the same credentials on its own.</summary>
    public static bool EndsSession(ErrorCode code) => code is ErrorCode.Replaced or ErrorCode.AuthFailed;
}
