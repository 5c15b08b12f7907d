using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace AkkaChat.Client.Transport;

/// <summary>
/// One entry of a client's server list: <c>tcp://host:port</c>, the short form <c>host:port</c>
/// (which means tcp), or <c>ws://host:port</c> for the WebSocket transport (path <c>/v1/ws</c>
/// unless the entry names another: <c>ws://host:port/chat/ws</c>). An IPv6 host is written in
/// brackets: <c>[::1]:4700</c>.
/// </summary>
public readonly record struct ServerAddress(string Scheme, string Host, int Port)
{
    /// <summary>The binary protocol over TCP (../shared/PROTOCOL.md).</summary>
    public const string Tcp = "tcp";

    /// <summary>The binary protocol over WebSocket, one frame per binary message (../shared/PROTOCOL.md).</summary>
    public const string WebSocket = "ws";

    /// <summary>The HTTP path of a <c>ws://</c> entry, when it names one (null: the default <c>/v1/ws</c>).</summary>
    public string? Path { get; init; }

    /// <summary><c>host:port</c>, as a socket or a log line names it.</summary>
    public string Endpoint => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public override string ToString() => $"{Scheme}://{Endpoint}{Path}";

    public static ServerAddress ForTcp(string host, int port) => new(Tcp, host, port);

    /// <summary><c>ws://host:port/v1/ws</c>: the node's web port.</summary>
    public static ServerAddress ForWebSocket(string host, int port) => new(WebSocket, host, port);

    /// <summary>Parses one entry; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static ServerAddress Parse(string text) =>
        TryParse(text, out var address, out var problem) ? address : throw new FormatException(problem);

    public static bool TryParse(string? text, out ServerAddress address) => TryParse(text, out address, out _);

    public static bool TryParse(string? text, out ServerAddress address, [NotNullWhen(false)] out string? problem)
    {
        address = default;
        var rest = text?.Trim() ?? string.Empty;
        var scheme = Tcp;
        var separator = rest.IndexOf("://", StringComparison.Ordinal);
        if (separator >= 0)
        {
            scheme = rest[..separator].ToLowerInvariant();
            rest = rest[(separator + 3)..].TrimEnd('/');
            if (scheme.Length == 0)
            {
                problem = $"'{text}' has an empty scheme; write tcp://host:port or host:port";
                return false;
            }
        }

        string? path = null;
        var slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            if (scheme != WebSocket)
            {
                problem = $"'{text}' names a path; only a {WebSocket}:// entry may";
                return false;
            }

            path = rest[slash..];
            rest = rest[..slash];
        }

        var colon = rest.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(rest.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            problem = $"'{text}' is not a server address: write tcp://host:port or host:port, with a port of 1 to 65535";
            return false;
        }

        var host = rest[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (host.Length == 0)
        {
            problem = $"'{text}' names no host";
            return false;
        }

        address = new ServerAddress(scheme, host, port) { Path = path };
        problem = null;
        return true;
    }
}
