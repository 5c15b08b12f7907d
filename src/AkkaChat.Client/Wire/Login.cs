using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Client.Wire;

/// <summary>
/// Registration and login as ../shared/PROTOCOL.md describes them, over one
/// <see cref="WireConnection"/> (with or without its read loop). An ERROR answer throws
/// <see cref="AkkaChatException"/> with its code; AUTH_FAILED closes the connection.
/// </summary>
public static class Login
{
    /// <summary>AUTH_REQUEST_CODE: the node issues a code and sends it by SMS; DevCode carries it when the node reveals codes.</summary>
    public static Task<AuthCodeSent> RequestCodeAsync(this WireConnection connection, string phone, TimeSpan timeout, CancellationToken ct = default) =>
        connection.RequestAsync<AuthCodeSent>(new AuthRequestCode { Phone = phone }, timeout, ct);

    /// <summary>AUTH_VERIFY: registers a device with the code; AUTH_OK carries its token, and the connection is logged in.</summary>
    public static Task<AuthOk> VerifyAsync(this WireConnection connection, string phone, string code, string deviceName, TimeSpan timeout, CancellationToken ct = default) =>
        connection.RequestAsync<AuthOk>(new AuthVerify { Phone = phone, Code = code, DeviceName = deviceName }, timeout, ct);

    /// <summary>AUTH_LOGIN with a device token; AUTH_OK.pending counts the queued items.</summary>
    public static Task<AuthOk> LoginAsync(this WireConnection connection, string phone, ReadOnlyMemory<byte> token, TimeSpan timeout, CancellationToken ct = default) =>
        connection.RequestAsync<AuthOk>(new AuthLogin { Phone = phone, Token = ByteString.CopyFrom(token.Span) }, timeout, ct);

    /// <summary>
    /// Registers with the code a development node reveals in AUTH_CODE_SENT.dev_code. Throws
    /// <see cref="InvalidOperationException"/> when the node does not reveal codes.
    /// </summary>
    public static async Task<AuthOk> RegisterWithRevealedCodeAsync(this WireConnection connection, string phone, string deviceName, TimeSpan timeout, CancellationToken ct = default)
    {
        var sent = await connection.RequestCodeAsync(phone, timeout, ct);
        if (sent.DevCode.Length == 0)
        {
            throw new InvalidOperationException("the node does not reveal registration codes; run it with akkachat.auth.reveal-codes = on");
        }

        return await connection.VerifyAsync(phone, sent.DevCode, deviceName, timeout, ct);
    }
}
