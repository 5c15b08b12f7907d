using AkkaChat.Client.Transport;
using AkkaChat.Protocol;

namespace AkkaChat.Client;

/// <summary>
/// Settings of an <see cref="AkkaChatClient"/>. Every property has a default that suits a chat
/// application talking to a node on this machine; change only what differs.
/// </summary>
public sealed record ClientOptions
{
    /// <summary>Host name or address of the node. Default <c>localhost</c>.</summary>
    public string Host { get; init; } = "localhost";

    /// <summary>TCP port of the node's binary protocol. Default 4700.</summary>
    public int Port { get; init; } = 4700;

    /// <summary>
    /// The nodes this client may use, each <c>tcp://host:port</c> or <c>host:port</c>. Every
    /// connection attempt (the first, and each reconnect) moves one entry on, so after a node dies
    /// the client moves to the next. Empty (the default) means the one server <see cref="Host"/>:<see cref="Port"/>.
    /// </summary>
    public IReadOnlyList<string> Servers { get; init; } = [];

    /// <summary>
    /// Longest client_msg_id (in characters) a send may carry; a longer one is refused before it is
    /// sent. Set it to the node's <c>akkachat.limits.max-client-msg-id-length</c> when its operator
    /// changed that. Default <see cref="ProtocolRules.DefaultMaxClientMsgIdLength"/> (64).
    /// </summary>
    public int MaxClientMsgIdLength { get; init; } = ProtocolRules.DefaultMaxClientMsgIdLength;

    /// <summary>How long opening a TCP connection may take. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the node may take to answer AUTH_REQUEST_CODE, AUTH_VERIFY or AUTH_LOGIN. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Ceiling of the first delay before reconnecting after a lost connection. Each failed attempt
    /// doubles the ceiling up to <see cref="ReconnectMaxDelay"/>; the actual delay is drawn between
    /// half the ceiling and the ceiling (jitter), so many clients of a restarted node do not return
    /// all at once. Default 500 ms.
    /// </summary>
    public TimeSpan ReconnectInitialDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Largest ceiling of the delay between reconnect attempts. Default 30 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A PING is sent this often while logged in, which keeps the node's idle timeout (5 minutes by
    /// default) from closing a quiet session. Default 60 s.
    /// </summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// When nothing at all has arrived for this long since a PING was sent, the connection counts
    /// as dead (a silent network failure) and is replaced. Checked at each PING interval. Default 30 s.
    /// </summary>
    public TimeSpan PongTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Sends written and not yet answered with SEND_ACK or ERROR. <c>SendAsync</c> waits for room
    /// when this many are outstanding. Default 256.
    /// </summary>
    public int MaxPendingSends { get; init; } = 256;

    /// <summary>
    /// Events received and not yet taken by the application. When the buffer is full the client
    /// stops reading the socket (TCP backpressure) until the application catches up. The node pushes
    /// at most 256 unacknowledged items per session, so with the default the buffer fills only
    /// with events that are not queued items. Default 256.
    /// </summary>
    public int EventBufferSize { get; init; } = 256;

    /// <summary>Recent item ids remembered to drop duplicates (a few dozen bytes each). Default 4096.</summary>
    public int DuplicateMemory { get; init; } = 4096;

    /// <summary>
    /// How long the client waits after the application moved past an item before it sends ACK, so
    /// that one ACK covers a burst of items. Zero acknowledges at once. Default 50 ms.
    /// </summary>
    public TimeSpan AckDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// End-to-end encryption (docs/e2e.md), on by default: after login the client publishes its
    /// keys when the node lacks them, one-to-one and group sends are encrypted (a send to a peer
    /// without published keys fails with NOT_FOUND rather than going out readable), and received
    /// envelopes are decrypted into <see cref="MessageReceived"/> with <see cref="MessageReceived.Encrypted"/> set.
    /// False sends plaintext and passes received bodies on as they came (for debugging).
    /// </summary>
    public bool Encryption { get; init; } = true;

    /// <summary>
    /// Folder of the key store files, one per user (<c>keys-&lt;digits&gt;.json</c>, mode 0600): this
    /// device's identity, prekeys and sessions. Keep it: a lost store is a new device, which every
    /// peer sees as a safety number change. Default: <c>akkachat/keys</c> under the user's
    /// application data folder (<c>~/.config/akkachat/keys</c> on Linux).
    /// </summary>
    public string? KeyStoreDirectory { get; init; }

    /// <summary>The key store file of <paramref name="phone"/> in <see cref="KeyStoreDirectory"/>.</summary>
    public string KeyStorePath(string phone) => Path.Combine(
        KeyStoreDirectory ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.Create), "akkachat", "keys"),
        "keys-" + phone.TrimStart('+') + ".json");

    /// <summary><see cref="Servers"/> parsed, or <see cref="Host"/>:<see cref="Port"/> when it is empty.</summary>
    internal IReadOnlyList<ServerAddress> ServerList() =>
        Servers.Count == 0 ? [ServerAddress.ForTcp(Host, Port)] : Servers.Select(ServerAddress.Parse).ToArray();

    internal void Validate()
    {
        foreach (var server in Servers)
        {
            if (!ServerAddress.TryParse(server, out _, out var problem))
            {
                throw new ArgumentException(problem, nameof(Servers));
            }
        }

        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException("Host must be set", nameof(Host));
        }

        if (Port is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "Port must be 1 to 65535");
        }

        RequirePositive(ConnectTimeout, nameof(ConnectTimeout));
        RequirePositive(RequestTimeout, nameof(RequestTimeout));
        RequirePositive(ReconnectInitialDelay, nameof(ReconnectInitialDelay));
        RequirePositive(PingInterval, nameof(PingInterval));
        RequirePositive(PongTimeout, nameof(PongTimeout));
        if (ReconnectMaxDelay < ReconnectInitialDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(ReconnectMaxDelay), ReconnectMaxDelay, "ReconnectMaxDelay must not be below ReconnectInitialDelay");
        }

        if (AckDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(AckDelay), AckDelay, "AckDelay must not be negative");
        }

        RequirePositive(MaxClientMsgIdLength, nameof(MaxClientMsgIdLength));
        RequirePositive(MaxPendingSends, nameof(MaxPendingSends));
        RequirePositive(EventBufferSize, nameof(EventBufferSize));
        RequirePositive(DuplicateMemory, nameof(DuplicateMemory));
    }

    private static void RequirePositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive");
        }
    }

    private static void RequirePositive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive");
        }
    }
}
