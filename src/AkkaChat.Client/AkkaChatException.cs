using AkkaChat.Protocol;

namespace AkkaChat.Client;

/// <summary>
/// The node refused a request with <c>ERROR{code}</c>, or the client refused it locally for the
/// reason the node would give (for example BAD_REQUEST for a malformed phone number).
/// </summary>
public sealed class AkkaChatException : Exception
{
    public AkkaChatException(ErrorCode code, string message, string reference = "")
        : base(message)
    {
        Code = code;
        Ref = reference;
    }

    public ErrorCode Code { get; }

    /// <summary>What the error is about, e.g. the client_msg_id of a refused SEND; may be empty.</summary>
    public string Ref { get; }

    /// <summary>
    /// Whether the session is over for good: REPLACED (the same user logged in elsewhere) and
    /// AUTH_FAILED (the token is no longer valid). The client does not reconnect after them.
    /// </summary>
    public bool IsTerminal => Code is ErrorCode.Replaced or ErrorCode.AuthFailed;

    /// <summary>
    /// Whether the same request may be sent again later and succeed: RATE_LIMITED and OVERLOADED
    /// (<see cref="ProtocolRules.IsRetryLater"/>). A send refused so was not acknowledged, and the
    /// connection stays open; sending it again with the same client_msg_id is safe.
    /// </summary>
    public bool IsRetryable => ProtocolRules.IsRetryLater(Code);
}
