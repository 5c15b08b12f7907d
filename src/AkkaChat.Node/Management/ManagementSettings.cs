using System.Net;
using Akka.Configuration;
using AkkaChat.Node.Configuration;

namespace AkkaChat.Node.Management;

/// <summary>
/// Settings of the management host, from <c>akkachat.management</c>. Built and validated once at
/// start: a host bound to anything but loopback without a token is refused, because every command
/// (down a member, kick a user, reload config) would then be open to the network.
/// </summary>
public sealed record ManagementSettings(
    bool Enabled,
    string Host,
    int Port,
    string? Token,
    int LogBufferLines,
    int TraceBufferHops)
{
    /// <summary>How long a management command waits for an actor it asks (akkachat.management.ask-timeout).</summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the management peer waits for its node's own actors (akkachat.management.peer-ask-timeout).</summary>
    public TimeSpan PeerAskTimeout { get; init; } = TimeSpan.FromSeconds(3);

    public static ManagementSettings Create(Config config)
    {
        var c = config.GetConfig("akkachat.management") ?? throw new ConfigurationException("missing 'akkachat.management' section");
        var enabled = AkkaChatSettings.Read(c, "enabled", static (s, p) => s.GetBoolean(p));
        var host = c.GetString("host");
        if (string.IsNullOrWhiteSpace(host) || !IPAddress.TryParse(host, out var address))
        {
            throw new ConfigurationException($"akkachat.management.host must be an IP address, is '{host}'");
        }

        var port = AkkaChatSettings.Read(c, "port", static (s, p) => s.GetInt(p));
        if (port is < 0 or > 65535)
        {
            throw new ConfigurationException($"akkachat.management.port must be 0..65535, is {port}");
        }

        var tokenFile = c.GetString("token-file");
        string? token = null;
        if (!string.IsNullOrWhiteSpace(tokenFile))
        {
            if (!File.Exists(tokenFile))
            {
                throw new ConfigurationException($"akkachat.management.token-file '{tokenFile}' does not exist");
            }

            token = File.ReadAllText(tokenFile).Trim();
            if (token.Length < 16)
            {
                throw new ConfigurationException($"akkachat.management.token-file '{tokenFile}' must hold a token of at least 16 characters");
            }
        }

        if (enabled && token is null && !IPAddress.IsLoopback(address))
        {
            throw new ConfigurationException(
                $"akkachat.management.host = {host} is not a loopback address: set akkachat.management.token-file " +
                "(a file holding a secret token) so that only operators who know it can run commands");
        }

        return new ManagementSettings(
            enabled,
            host,
            port,
            token,
            Positive(c, "log-buffer-lines"),
            Positive(c, "trace-buffer-hops"))
        {
            AskTimeout = PositiveTime(c, "ask-timeout"),
            PeerAskTimeout = PositiveTime(c, "peer-ask-timeout"),
        };
    }

    private static TimeSpan PositiveTime(Config c, string key)
    {
        var value = AkkaChatSettings.Read(c, key, static (s, p) => s.GetTimeSpan(p, null, allowInfinite: false));
        return value > TimeSpan.Zero ? value : throw new ConfigurationException($"akkachat.management.{key} must be positive, is {value}");
    }

    private static int Positive(Config c, string key)
    {
        var value = AkkaChatSettings.Read(c, key, static (s, p) => s.GetInt(p));
        return value > 0 ? value : throw new ConfigurationException($"akkachat.management.{key} must be positive, is {value}");
    }
}
