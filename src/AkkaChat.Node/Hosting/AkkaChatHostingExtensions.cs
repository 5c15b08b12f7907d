using Akka;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using AkkaChat.Node.Auth;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Groups;
using AkkaChat.Node.Contacts;
using AkkaChat.Node.Inbox;
using AkkaChat.Node.Keys;
using AkkaChat.Node.Modules;
using AkkaChat.Node.Presence;
using AkkaChat.Node.Registration;
using AkkaChat.Node.Sessions;
using AkkaChat.Node.Statuses;
using AkkaChat.Node.UserDirectory;
using AkkaChat.Node.Users;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaChat.Node.Hosting;

public static class AkkaChatHostingExtensions
{
    /// <summary>Every node of a cluster must use the same actor system name.</summary>
    public const string ActorSystemName = "akkachat";

    /// <summary>
    /// Registers the node's services and its actor system: the cluster (one member unless seeds are
    /// configured), the user shard region, then the supervision tree of <see cref="NodeSupervisor"/>.
    /// </summary>
    public static IServiceCollection AddAkkaChatNode(this IServiceCollection services, Config config, AkkaChatSettings settings, ConfigFile? configFile)
    {
        services.AddSingleton(settings);
        services.AddSingleton(new RuntimeSettingsSource(settings.Runtime));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ISmsSender, LoggingSmsSender>();
        services.AddSingleton<ListenerWatch>();
        services.AddUserDirectory(config).AddSessions().AddRegistration().AddInbox().AddGroups(config).AddKeys(config)
            .AddContacts(config).AddPresence(config).AddStatus(config);

        services.AddSingleton(settings.Sharding);

        services.AddAkka(ActorSystemName, (akka, provider) =>
        {
            // The journal and snapshot store through Akka.Persistence.Sql.Hosting (it registers the
            // connections' linq2db options, SQLite's pragma among them); the node's config and the
            // journal tuning no extension carries; then remoting, cluster and serializers through
            // their extensions, on top. The serializers' bindings are in the HOCON as well:
            // Akka.Remote's reference.conf binds Google.Protobuf.IMessage to its own serializer,
            // and a setup binding laid over that one logs a warning at every start.
            akka.WithSqlPersistence(NodeConfig.JournalOptions(settings), NodeConfig.SnapshotOptions(settings));
            akka.AddHocon(
                config.WithFallback(NodeConfig.JournalTuning(settings)).WithFallback(ClusterHostingExtensions.SerializersConfig()),
                HoconAddMode.Prepend);
            akka.WithChatCluster(settings.Cluster);
            akka.WithChatSerializers();
            akka.ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = Akka.Event.Logging.LogLevelFor(config.GetString("akka.loglevel", "INFO")); // see NodeLogging
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            });

            // Shard regions start in this order, before the actors below; entities start on demand.
            akka.WithUserShards(settings, provider);
            var modules = provider.GetServices<INodeModule>().ToArray();
            foreach (var module in modules)
            {
                module.ConfigureAkka(akka);
            }

            akka.WithActors((system, registry) =>
            {
                provider.GetRequiredService<ListenerWatch>().Watch(system); // before the listener exists
                JoinCluster(system, settings.Cluster);
                foreach (var module in modules)
                {
                    module.StartActors(system, registry);
                }

                var routes = FrameRoutes.Build(modules, registry);
                var users = registry.Get<UserShard>();
                var node = system.ActorOf(NodeSupervisor.Props(settings, provider.GetRequiredService<RuntimeSettingsSource>(), users, routes, configFile), "node");
                registry.Register<NodeSupervisor>(node);
                AddShutdownTasks(system, node, settings.ShutdownDrainTimeout);
            });
        });
        return services;
    }

    /// <summary>Without seed nodes the node joins itself: a one-member cluster.</summary>
    private static void JoinCluster(ActorSystem system, ClusterSettings cluster)
    {
        if (cluster.SeedNodes.Count == 0)
        {
            var self = Cluster.Get(system);
            self.Join(self.SelfAddress);
        }
    }

    /// <summary>The user shard region: one <see cref="UserActor"/> per phone, shard = hash(phone) mod 256.</summary>
    private static AkkaConfigurationBuilder WithUserShards(this AkkaConfigurationBuilder akka, AkkaChatSettings settings, IServiceProvider provider)
    {
        var sms = provider.GetRequiredService<ISmsSender>();
        var directory = provider.GetRequiredService<IUserDirectory>();
        var clock = provider.GetRequiredService<TimeProvider>();
        var statuses = provider.GetRequiredService<IStatusStore>();
        return akka.WithShardRegion<UserShard>(
            UserShard.TypeName,
            (_, registry) => phone => UserActor.Props(phone, settings, registry.Get<UserShard>(), sms, directory, clock, statuses),
            new UserShard(),
            settings.Sharding.ShardOptions());
    }

    private static void AddShutdownTasks(ActorSystem system, IActorRef node, TimeSpan drainTimeout)
    {
        // Before cluster sharding hands shards off: stop accepting and close every socket cleanly,
        // so no client is mid-request while its user actor moves or stops.
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "close-connections", async () =>
        {
            await node.Ask<Done>(NodeSupervisor.StopAccepting.Instance, drainTimeout);
            return Done.Instance;
        });
    }

    /// <summary>
    /// Creates the SQLite file and switches it to write-ahead logging: commits survive a killed
    /// process, and readers do not block the journal's writer.
    /// </summary>
    public static void PrepareSqlite(AkkaChatSettings settings)
    {
        var file = NodeConfig.SqliteFile(settings);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using var connection = new SqliteConnection($"Data Source={file}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }
}
