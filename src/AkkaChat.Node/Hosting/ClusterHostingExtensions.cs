using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Akka.Serialization;
using AkkaChat.Node.Management;
using AkkaChat.Node.Serialization;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaChat.Node.Hosting;

/// <summary>
/// The node's remoting, cluster membership, shard regions and serializers, expressed through the
/// Akka.Hosting extensions from the settings read out of <c>akkachat.cluster</c> and
/// <c>akkachat.sharding</c>. The hosted node and <see cref="NodeConfig.AkkaConfig"/> (an actor
/// system built from config alone) both take their cluster configuration from here.
/// </summary>
public static class ClusterHostingExtensions
{
    /// <summary>A serializer of the node: its name in akka.actor.serializers and the type it is bound to.</summary>
    public sealed record NodeSerializer(string Name, Type SerializerType, Type BoundType, Func<ExtendedActorSystem, Serializer> Create);

    /// <summary>
    /// Every serializer of the node. Protobuf contracts (journal events, messages between nodes)
    /// go through <see cref="ChatSerializer"/> (id 4700); management messages between members
    /// through <see cref="ManagementSerializer"/> (id 4710). Never Akka's default JSON.
    /// </summary>
    public static IReadOnlyList<NodeSerializer> Serializers { get; } =
    [
        new("akkachat", typeof(ChatSerializer), typeof(Google.Protobuf.IMessage), system => new ChatSerializer(system)),
        new("akkachat-management", typeof(ManagementSerializer), typeof(IManagementMessage), system => new ManagementSerializer(system)),
    ];

    /// <summary>Remoting on akkachat.cluster.hostname:port and cluster membership (roles, seeds, downing).</summary>
    public static AkkaConfigurationBuilder WithChatCluster(this AkkaConfigurationBuilder akka, ClusterSettings cluster)
    {
        akka.WithRemoting(new RemoteOptions
        {
            HostName = cluster.Hostname,
            Port = cluster.Port,
            PublicHostName = cluster.PublicHostname,
        });
        akka.WithClustering(new ClusterOptions
        {
            Roles = cluster.Roles.ToArray(),
            SeedNodes = cluster.SeedNodes.ToArray(),
            SplitBrainResolver = SplitBrainResolver(cluster),
        });
        if (cluster.Downing == DowningStrategy.Off)
        {
            // The resolver options have no "none", and Akka's default provider is the resolver.
            akka.AddHocon("akka.cluster.downing-provider-class = \"\"", HoconAddMode.Prepend);
        }

        return akka;
    }

    /// <summary>The node's serializers, registered with Akka.Hosting (an actor system setup, not HOCON).</summary>
    public static AkkaConfigurationBuilder WithChatSerializers(this AkkaConfigurationBuilder akka)
    {
        foreach (var serializer in Serializers)
        {
            akka.WithCustomSerializer(serializer.Name, [serializer.BoundType], serializer.Create);
        }

        return akka;
    }

    /// <summary>
    /// Options of every shard region of the node. Idle passivation by sharding is off in all of them:
    /// each entity decides when it passivates (or, for presence, lives while its user is online).
    /// </summary>
    public static ShardOptions ShardOptions(this ShardingSettings sharding) => new()
    {
        Role = sharding.Role,
        StateStoreMode = sharding.StateStoreMode,
        RememberEntities = sharding.RememberEntities,
        RememberEntitiesStore = sharding.RememberEntitiesStore,
        ShouldPassivateIdleEntities = false,
    };

    /// <summary>
    /// The HOCON that <see cref="WithChatCluster"/> gives the actor system, for an actor system
    /// built from config alone: the same extensions, applied to a builder that is never started.
    /// </summary>
    public static Config ClusterConfig(ClusterSettings cluster)
    {
        var builder = new AkkaConfigurationBuilder(new ServiceCollection(), AkkaChatHostingExtensions.ActorSystemName);
        builder.WithChatCluster(cluster);
        return builder.Configuration.HasValue ? builder.Configuration.Value : Config.Empty;
    }

    /// <summary>The HOCON form of <see cref="Serializers"/>, for an actor system built from config alone.</summary>
    public static Config SerializersConfig()
    {
        static string Name(Type type) => $"\"{type.FullName}, {type.Assembly.GetName().Name}\"";
        var lines = Serializers.SelectMany(s => new[]
        {
            $"akka.actor.serializers.{s.Name} = {Name(s.SerializerType)}",
            $"akka.actor.serialization-bindings {{ {Name(s.BoundType)} = {s.Name} }}",
        });
        return ConfigurationFactory.ParseString(string.Join("\n", lines));
    }

    private static SplitBrainResolverOption? SplitBrainResolver(ClusterSettings cluster) => cluster.Downing switch
    {
        DowningStrategy.KeepMajority => new KeepMajorityOption { Role = cluster.DowningRole },
        DowningStrategy.KeepOldest => new KeepOldestOption { Role = cluster.DowningRole, DownIfAlone = cluster.DownIfAlone },
        DowningStrategy.StaticQuorum => new StaticQuorumOption { Role = cluster.DowningRole, QuorumSize = cluster.QuorumSize },
        _ => null,
    };
}
