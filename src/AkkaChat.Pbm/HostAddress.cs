using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace AkkaChat.Pbm;

/// <summary>A management host as HOST:PORT (IPv6 in brackets: [::1]:9110).</summary>
internal sealed record HostAddress(string Host, int Port)
{
    public static bool TryParse(string text, [NotNullWhen(true)] out HostAddress? address)
    {
        address = null;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (host.Length == 0 || host.Contains(' '))
        {
            return false;
        }

        address = new HostAddress(host, port);
        return true;
    }

    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
