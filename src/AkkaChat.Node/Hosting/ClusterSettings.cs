using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using AkkaChat.Node.Configuration;

namespace AkkaChat.Node.Hosting;

/// <summary>How the cluster downs unreachable members (<c>akkachat.cluster.split-brain-resolver.active-strategy</c>).</summary>
public enum DowningStrategy
{
    /// <summary>No automatic downing: an unreachable member stays until someone downs it.</summary>
    Off,
    KeepMajority,
    KeepOldest,
    StaticQuorum,
}

/// <summary>
/// Remoting and cluster membership of the node, from <c>akkachat.cluster</c> (documented in
/// hocon/akkachat.conf). The node hands them to Akka.Remote.Hosting and Akka.Cluster.Hosting
/// (<see cref="ClusterHostingExtensions.WithChatCluster"/>); nothing else reads them.
/// </summary>
public sealed partial record ClusterSettings(
    string Hostname,
    int Port,
    string? PublicHostname,
    IReadOnlyList<string> SeedNodes,
    IReadOnlyList<string> Roles,
    DowningStrategy Downing,
    string? DowningRole,
    int QuorumSize,
    bool DownIfAlone)
{
    /// <summary>
    /// Akka keys the <c>akkachat.cluster</c> and <c>akkachat.sharding</c> keys set. Setting one of
    /// them directly would be overridden by the hosting extensions, so the node refuses it.
    /// </summary>
    private static readonly (string AkkaKey, string NodeKey)[] MovedKeys =
    [
        ("akka.remote.dot-netty.tcp.hostname", "akkachat.cluster.hostname"),
        ("akka.remote.dot-netty.tcp.port", "akkachat.cluster.port"),
        ("akka.remote.dot-netty.tcp.public-hostname", "akkachat.cluster.public-hostname"),
        ("akka.cluster.seed-nodes", "akkachat.cluster.seed-nodes"),
        ("akka.cluster.roles", "akkachat.cluster.roles"),
        ("akka.cluster.downing-provider-class", "akkachat.cluster.split-brain-resolver.active-strategy"),
        ("akka.cluster.split-brain-resolver.active-strategy", "akkachat.cluster.split-brain-resolver.active-strategy"),
        ("akka.cluster.sharding.role", "akkachat.sharding.role"),
        ("akka.cluster.sharding.remember-entities", "akkachat.sharding.remember-entities"),
        ("akka.cluster.sharding.remember-entities-store", "akkachat.sharding.remember-entities-store"),
        ("akka.cluster.sharding.state-store-mode", "akkachat.sharding.state-store-mode"),
        ("akka.cluster.sharding.passivate-idle-entity-after", "akkachat.sharding (entities passivate themselves)"),
    ];

    public static ClusterSettings Create(Config config)
    {
        RefuseMovedKeys(config);
        var c = config.GetConfig("akkachat") ?? throw new ConfigurationException("missing 'akkachat' section");
        var hostname = c.GetString("cluster.hostname");
        var port = AkkaChatSettings.Read(c, "cluster.port", static (section, path) => section.GetInt(path));
        var strategy = c.GetString("cluster.split-brain-resolver.active-strategy")?.ToLowerInvariant() switch
        {
            "off" => DowningStrategy.Off,
            "keep-majority" => DowningStrategy.KeepMajority,
            "keep-oldest" => DowningStrategy.KeepOldest,
            "static-quorum" => DowningStrategy.StaticQuorum,
            var other => throw new ConfigurationException(
                $"akkachat.cluster.split-brain-resolver.active-strategy: '{other}' is not off, keep-majority, keep-oldest or static-quorum"),
        };
        var quorum = AkkaChatSettings.Read(c, "cluster.split-brain-resolver.quorum-size", static (section, path) => section.GetInt(path));
        return new ClusterSettings(
            string.IsNullOrWhiteSpace(hostname) ? throw new ConfigurationException("akkachat.cluster.hostname is empty") : hostname,
            port is >= 0 and <= 65535 ? port : throw new ConfigurationException($"akkachat.cluster.port must be 0 to 65535, is {port}"),
            c.GetString("cluster.public-hostname") is { Length: > 0 } publicHost ? publicHost : null,
            SeedNodesOf(c),
            c.GetStringList("cluster.roles").Select(role => Name(role, "akkachat.cluster.roles")).ToArray(),
            strategy,
            c.GetString("cluster.split-brain-resolver.role") is { Length: > 0 } role ? Name(role, "akkachat.cluster.split-brain-resolver.role") : null,
            strategy != DowningStrategy.StaticQuorum || quorum > 0
                ? quorum
                : throw new ConfigurationException($"akkachat.cluster.split-brain-resolver.quorum-size must be positive with static-quorum, is {quorum}"),
            c.GetBoolean("cluster.split-brain-resolver.down-if-alone", true));
    }

    private static string[] SeedNodesOf(Config c)
    {
        var seeds = c.GetStringList("cluster.seed-nodes");
        foreach (var seed in seeds)
        {
            try
            {
                Address.Parse(seed);
            }
            catch (UriFormatException e)
            {
                throw new ConfigurationException($"akkachat.cluster.seed-nodes: '{seed}' is not an address like akka.tcp://akkachat@host:port ({e.Message})", e);
            }
        }

        return seeds.ToArray();
    }

    /// <summary>Roles are written into HOCON unquoted by Akka.Cluster.Hosting: letters, digits, '-' and '_' only.</summary>
    internal static string Name(string value, string key) =>
        RoleName().IsMatch(value) ? value : throw new ConfigurationException($"{key}: '{value}' is not a name of letters, digits, '-' and '_'");

    private static void RefuseMovedKeys(Config config)
    {
        foreach (var (akkaKey, nodeKey) in MovedKeys)
        {
            if (config.HasPath(akkaKey))
            {
                throw new ConfigurationException($"{akkaKey} is set: the node configures it from {nodeKey}; set that key instead");
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex RoleName();
}

/// <summary>
/// What every shard region of the node (users, groups, presence, keys) runs with, from
/// <c>akkachat.sharding</c>. Turned into Akka.Cluster.Hosting's <c>ShardOptions</c> by
/// <see cref="ClusterHostingExtensions.ShardOptions"/>.
/// </summary>
public sealed record ShardingSettings(string? Role, StateStoreMode StateStoreMode, bool RememberEntities, RememberEntitiesStore RememberEntitiesStore)
{
    public static ShardingSettings Create(Config config)
    {
        var c = config.GetConfig("akkachat") ?? throw new ConfigurationException("missing 'akkachat' section");
        return new ShardingSettings(
            c.GetString("sharding.role") is { Length: > 0 } role ? ClusterSettings.Name(role, "akkachat.sharding.role") : null,
            c.GetString("sharding.state-store-mode")?.ToLowerInvariant() switch
            {
                "ddata" => StateStoreMode.DData,
                "persistence" => StateStoreMode.Persistence,
                var other => throw new ConfigurationException($"akkachat.sharding.state-store-mode: '{other}' is not ddata or persistence"),
            },
            AkkaChatSettings.Read(c, "sharding.remember-entities", static (section, path) => section.GetBoolean(path)),
            c.GetString("sharding.remember-entities-store")?.ToLowerInvariant() switch
            {
                "ddata" => RememberEntitiesStore.DData,
                "eventsourced" => RememberEntitiesStore.Eventsourced,
                var other => throw new ConfigurationException($"akkachat.sharding.remember-entities-store: '{other}' is not ddata or eventsourced"),
            });
    }
}
