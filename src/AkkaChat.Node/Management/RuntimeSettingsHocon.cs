using System.Globalization;
using Akka.Configuration;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Hosting;

namespace AkkaChat.Node.Management;

/// <summary>
/// The hot settings as HOCON lines of their keys: the form they travel between nodes in, so a
/// receiving node validates them with the same code that reads its own file.
/// </summary>
public static class RuntimeSettingsHocon
{
    public static string Render(RuntimeSettings s) => string.Join('\n',
        $"akkachat.connection.idle-timeout = {(long)s.IdleTimeout.TotalMilliseconds}ms",
        $"akkachat.connection.max-connections = {s.MaxConnections}",
        $"akkachat.rate-limit.send-per-second = {s.SendPerSecond.ToString("R", CultureInfo.InvariantCulture)}",
        $"akkachat.rate-limit.send-burst = {s.SendBurst}");

    /// <summary>Parses and validates; throws <see cref="ConfigurationException"/> naming the bad key.</summary>
    public static RuntimeSettings Parse(string hocon) =>
        RuntimeSettings.Create(ConfigurationFactory.ParseString(hocon).WithFallback(NodeConfig.ReferenceConfig));
}
