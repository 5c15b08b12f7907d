using AkkaChat.Client.Wire;

namespace AkkaChat.Client;

/// <summary>The session's keep-alive, on the shared <see cref="KeepAlive"/> of the wire layer.</summary>
public sealed partial class AkkaChatClient
{
    /// <summary>
    /// PINGs the session's connection whenever it wrote nothing for <see cref="ClientOptions.PingInterval"/>;
    /// a connection that received nothing for <see cref="ClientOptions.PongTimeout"/> after a PING is
    /// aborted, and the reconnect loop replaces it.
    /// </summary>
    private KeepAlive StartKeepAlive() => new(ReadyConnection, Options.PingInterval, Options.PongTimeout);

    private IEnumerable<WireConnection> ReadyConnection()
    {
        WireConnection? connection;
        lock (_gate)
        {
            connection = _ready ? _connection : null;
        }

        return connection is null ? [] : [connection];
    }
}
