using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace AkkaChat.Client.Transport;

/// <summary>
/// One entry of a client's server list: <c>tcp://host:port</c> or the short form <c>host:port</c>
/// (which means tcp). An IPv6 host is written in brackets: <c>[::1]:4700</c>.
/// </summary>
public readonly record struct ServerAddress(string Scheme, string Host, int Port)
{
    /// <summary>The binary protocol over TCP (../shared/PROTOCOL.md).</summary>
    public const string Tcp = "tcp";

    /// <summary><c>host:port</c>, as a socket or a log line names it.</summary>
    public string Endpoint => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public override string ToString() => $"{Scheme}://{Endpoint}";

    public static ServerAddress ForTcp(string host, int port) => new(Tcp, host, port);

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

        address = new ServerAddress(scheme, host, port);
        problem = null;
        return true;
    }
}
