namespace AkkaChat.Protocol.Messages;

public sealed partial class Error
{
    /// <summary>An ERROR payload; <paramref name="reference"/> names what it is about (e.g. a client_msg_id).</summary>
    public static Error Of(ErrorCode code, string message, string reference = "") =>
        new() { Code = (uint)code, Message = message, Ref = reference };

    /// <summary><see cref="Code"/> as the enum; unknown codes come back as their number.</summary>
    public ErrorCode ErrorCode => (ErrorCode)Code;
}
