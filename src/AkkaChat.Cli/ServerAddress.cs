using System.Globalization;
using System.Diagnostics.CodeAnalysis;

namespace AkkaChat.Cli;

/// <summary>A node's TCP address as written on the command line: <c>host:port</c>, <c>host</c> (port 4700) or <c>[v6]:port</c>.</summary>
public sealed record ServerAddress(string Host, int Port)
{
    public const int DefaultPort = 4700;

    public static readonly ServerAddress Default = new("localhost", DefaultPort);

    public static bool TryParse(string? text, [NotNullWhen(true)] out ServerAddress? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        string host;
        var port = DefaultPort;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 2)
            {
                return false;
            }

            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0 && (!rest.StartsWith(':') || !TryParsePort(rest[1..], out port)))
            {
                return false;
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':') != colon)
            {
                return false; // a bare IPv6 address must be bracketed
            }

            host = colon >= 0 ? text[..colon] : text;
            if (colon >= 0 && !TryParsePort(text[(colon + 1)..], out port))
            {
                return false;
            }
        }

        if (host.Length == 0 || host.Any(char.IsWhiteSpace))
        {
            return false;
        }

        address = new ServerAddress(host, port);
        return true;
    }

    public static ServerAddress Parse(string text) =>
        TryParse(text, out var address) ? address : throw new CliException($"'{text}' is not a server address (host:port)", ExitCodes.Usage);

    private static bool TryParsePort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;

    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
