using AkkaChat.Node.Auth;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Sessions;
using AkkaChat.Node.UserDirectory;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Node.Registration;

/// <summary>
/// The registration part's commands decided whole: the events to journal and the effects (SMS,
/// the user directory, answers, starting the session) for <see cref="UserActor"/> to run.
/// </summary>
public sealed partial class RegistrationState
{
    /// <summary>AUTH_REQUEST_CODE: the freshly issued <paramref name="code"/> goes out by SMS and AUTH_CODE_SENT answers (with the code itself when codes are revealed).</summary>
    public static Decision DecideRequestCode(string phone, VerificationCode code, TimeSpan ttl, bool revealCodes) =>
        Decision.Only(
            new SendCode(phone, code.Code, ttl),
            new Reply(new AuthCodeSent { ExpiresInS = (uint)ttl.TotalSeconds, DevCode = revealCodes ? code.Code : string.Empty }));

    /// <summary>
    /// AUTH_VERIFY whose code was (<paramref name="codeAccepted"/>) or was not accepted. Accepted:
    /// UserRegistered (the first time) and DeviceTokenIssued, journaled only after the user directory
    /// holds the number with the new token (the directory is a superset of the journals, so it never
    /// denies a registration or token the journal holds: docs/node.md, "User directory"), then the
    /// session starts with <paramref name="token"/> in its AUTH_OK.
    /// <paramref name="registrationDurable"/>: the journal already holds the registration, so the
    /// directory entry is written confirmed.
    /// </summary>
    public Decision DecideVerify(string phone, bool codeAccepted, string deviceName, byte[] tokenHash, ByteString token, long nowMs, bool registrationDurable)
    {
        if (!codeAccepted)
        {
            return Decision.Only(new ReplyNow(Error.Of(ErrorCode.AuthFailed, "wrong or expired code")));
        }

        var issued = DecideIssueToken(tokenHash, deviceName, nowMs);
        var events = Registered ? new IMessage[] { issued } : new IMessage[] { new UserRegistered { AtMs = nowMs }, issued };
        var tokens = _tokens.Select(t => t.TokenHash.ToByteArray()).Append(tokenHash).TakeLast(MaxDeviceTokens).ToArray();
        return new Decision(events, new Effect[]
        {
            new WriteDirectoryFirst(new DirectoryEntry(phone, nowMs, tokens, Confirmed: registrationDurable)),
            new StartSession(token),
        });
    }

    /// <summary>AUTH_LOGIN with a device token (hashed): AUTH_FAILED unless the number is registered and holds the token; else the session starts.</summary>
    public Decision DecideLogin(ReadOnlySpan<byte> tokenHash, string session, long nowMs) =>
        Registered && HasToken(tokenHash)
            ? DecideSession(session, ByteString.Empty, nowMs)
            : Decision.Only(new ReplyNow(Error.Of(ErrorCode.AuthFailed, "unknown phone or token")));

    /// <summary>
    /// A login of the connection at <paramref name="session"/> (its serialized path): SessionLoggedIn
    /// (which connection logged in latest, in journal order), then the connection attached with
    /// AUTH_OK carrying <paramref name="token"/>; a login not stored is refused with an ERROR and the
    /// client may try again.
    /// </summary>
    public Decision DecideSession(string session, ByteString token, long nowMs) =>
        Decision.Of(DecideLogin(session, nowMs), new AttachSession(token), new ReplyIfNotStored("the login could not be stored; try again"));

    /// <summary>
    /// A node found this user's directory entry unconfirmed: confirm it when the journal holds the
    /// registration (<paramref name="registrationDurable"/>), remove it when the user is not registered
    /// (it was written before a registration that never reached the journal), else nothing yet.
    /// </summary>
    public Decision DecideConfirmDirectoryEntry(bool registrationDurable) =>
        registrationDurable ? Decision.Only(ConfirmInDirectory.Instance)
        : !Registered ? Decision.Only(RemoveFromDirectory.Instance)
        : Decision.None;

    /// <summary>
    /// The directory backfill found this user's journal without a directory row (written before the
    /// directory existed): when the journal holds the registration, write the row, confirmed, with
    /// the journal's device tokens (registered at the oldest token's issue time, else now);
    /// otherwise nothing.
    /// </summary>
    public Decision DecideBackfillDirectoryEntry(string phone, bool registrationDurable, long nowMs) =>
        registrationDurable && Registered
            ? Decision.Only(new WriteDirectoryEntry(new DirectoryEntry(
                phone,
                _tokens.Count > 0 ? _tokens[0].IssuedAtMs : nowMs,
                _tokens.Select(t => t.TokenHash.ToByteArray()).ToArray(),
                Confirmed: true)))
            : Decision.None;
}

/// <summary>Write <paramref name="Entry"/> to the user directory (no command waits for it; a failure is logged).</summary>
public sealed record WriteDirectoryEntry(DirectoryEntry Entry) : Effect;

/// <summary>Send <paramref name="Code"/> to <paramref name="Phone"/> by SMS, valid for <paramref name="Ttl"/>.</summary>
public sealed record SendCode(string Phone, string Code, TimeSpan Ttl) : Effect;

/// <summary>
/// Write <paramref name="Entry"/> to the user directory before the decision's events are journaled;
/// when it cannot be written nothing is journaled and the sender gets ERROR{INTERNAL}.
/// </summary>
public sealed record WriteDirectoryFirst(DirectoryEntry Entry) : Effect;

/// <summary>Mark this user's directory entry confirmed (the journal holds the registration).</summary>
public sealed record ConfirmInDirectory : Effect
{
    public static readonly ConfirmInDirectory Instance = new();
}

/// <summary>Remove this user's directory entry (its registration never reached the journal).</summary>
public sealed record RemoveFromDirectory : Effect
{
    public static readonly RemoveFromDirectory Instance = new();
}
