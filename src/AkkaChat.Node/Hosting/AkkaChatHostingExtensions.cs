using Akka;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
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

        services.AddAkka(ActorSystemName, (akka, provider) =>
        {
            // The journal and snapshot store through Akka.Persistence.Sql.Hosting (it registers the
            // connections' linq2db options, SQLite's pragma among them); then the node's config on top.
            akka.WithSqlPersistence(NodeConfig.JournalOptions(settings), NodeConfig.SnapshotOptions(settings));
            akka.AddHocon(config.WithFallback(NodeConfig.AkkaConfig(settings)), HoconAddMode.Prepend);
            akka.ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = Akka.Event.Logging.LogLevelFor(config.GetString("akka.loglevel", "INFO")); // see NodeLogging
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            });
            foreach (var module in provider.GetServices<INodeModule>())
            {
                module.ConfigureAkka(akka);
            }

            akka.WithActors((system, registry) =>
            {
                provider.GetRequiredService<ListenerWatch>().Watch(system); // before the listener exists
                JoinCluster(system);
                var users = StartUserShards(system, settings, provider.GetRequiredService<ISmsSender>(), provider.GetRequiredService<IUserDirectory>(), provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<IStatusStore>());
                registry.Register<UserShard>(users);
                var modules = provider.GetServices<INodeModule>().ToArray();
                foreach (var module in modules)
                {
                    module.StartActors(system, registry);
                }

                var routes = FrameRoutes.Build(modules, registry);
                var node = system.ActorOf(NodeSupervisor.Props(settings, provider.GetRequiredService<RuntimeSettingsSource>(), users, routes, configFile), "node");
                registry.Register<NodeSupervisor>(node);
                AddShutdownTasks(system, node, settings.ShutdownDrainTimeout);
            });
        });
        return services;
    }

    private static void JoinCluster(ActorSystem system)
    {
        var cluster = Cluster.Get(system);
        if (cluster.Settings.SeedNodes.Count == 0)
        {
            cluster.Join(cluster.SelfAddress);
        }
    }

    private static IActorRef StartUserShards(ActorSystem system, AkkaChatSettings settings, ISmsSender sms, IUserDirectory directory, TimeProvider clock, IStatusStore statuses)
    {
        IActorRef users = ActorRefs.Nobody;
        users = ClusterSharding.Get(system).Start(
            UserShard.TypeName,
            phone => UserActor.Props(phone, settings, users, sms, directory, clock, statuses),
            ClusterShardingSettings.Create(system),
            new UserShard());
        return users;
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
