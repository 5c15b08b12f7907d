namespace AkkaChat.Client;

/// <summary>
/// What logs a device in again: the user's phone number and the device token AUTH_VERIFY issued.
/// Keep the token secret; <see cref="ToString"/> leaves it out.
/// </summary>
public sealed record Credentials(string Phone, byte[] Token)
{
    public override string ToString() => $"Credentials {{ Phone = {Phone}, Token = ({Token.Length} bytes) }}";
}

/// <summary>The answer to a login: the node's name and clock, and the queued items waiting for this user.</summary>
public sealed record LoginResult(string Phone, string Node, ulong Pending, DateTimeOffset ServerTime);

/// <summary>Where a client is in its life; see <see cref="AkkaChatClient.StateChanged"/>.</summary>
public enum ConnectionState
{
    /// <summary>No connection open, and no session to keep.</summary>
    Disconnected,
    /// <summary>Opening a TCP connection.</summary>
    Connecting,
    /// <summary>Connected, not logged in: registration and login calls may be made.</summary>
    Connected,
    /// <summary>Logged in: sends are written, events arrive.</summary>
    Ready,
    /// <summary>The session's connection was lost; the client is reconnecting and logging in again.</summary>
    Reconnecting,
    /// <summary>The node ended the session for good (REPLACED or AUTH_FAILED); the client does not reconnect.</summary>
    Terminated,
    /// <summary>The client was disposed.</summary>
    Disposed,
}
