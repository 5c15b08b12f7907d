namespace AkkaChat.Protocol;

/// <summary>
/// A violation of the wire protocol, carrying the ERROR code the peer is to be sent.
/// Raised by <see cref="FrameReader"/> and <see cref="FrameWriter"/>; never any other exception type
/// for bad input.
/// </summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException(ErrorCode code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
    }

    public ErrorCode Code { get; }

    /// <summary>
    /// Whether the connection must be closed after the ERROR is sent. UNSUPPORTED_VERSION and
    /// MALFORMED close: after them the byte stream cannot be trusted to be in frame.
    /// </summary>
    public bool ClosesConnection => ProtocolRules.ClosesConnection(Code);
}
