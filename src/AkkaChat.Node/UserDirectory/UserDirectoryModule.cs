using Akka.Configuration;
using Akka.Hosting;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Modules;
using AkkaChat.Node.UserDirectory.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaChat.Node.UserDirectory;

/// <summary>Settings of the user directory, from <c>akkachat.directory</c>.</summary>
/// <param name="CacheSize">directory.cache-size: registered users kept in memory.</param>
/// <param name="BackfillPerSecond">directory.backfill-per-second: user actors asked a second, at start, to write the row of a journal written before the directory; 0 turns the backfill off.</param>
public sealed record DirectorySettings(int CacheSize, int BackfillPerSecond = 100)
{
    public static DirectorySettings Create(Config config)
    {
        var c = config.GetConfig("akkachat") ?? throw new ConfigurationException("missing 'akkachat' section");
        var backfill = AkkaChatSettings.Read(c, "directory.backfill-per-second", static (section, path) => section.GetInt(path));
        return new DirectorySettings(
            AkkaChatSettings.Positive(c, "directory.cache-size"),
            backfill >= 0 ? backfill : throw new ConfigurationException($"akkachat.directory.backfill-per-second must not be negative, is {backfill}"));
    }
}

/// <summary>
/// The user directory: serves no frame of its own; the registration and inbox modules read it, the
/// user actor writes it. See <see cref="IUserDirectory"/>. At start it backfills the rows of
/// journals written before the directory existed (<see cref="DirectoryBackfill"/>).
/// </summary>
public sealed class UserDirectoryModule(IUserDirectory directory, DirectorySettings settings) : INodeModule
{
    public string Name => "directory";

    public void StartActors(Akka.Actor.ActorSystem system, IActorRegistry registry)
    {
        if (settings.BackfillPerSecond > 0)
        {
            system.ActorOf(DirectoryBackfill.Props(directory, registry.Get<Users.UserShard>(), settings.BackfillPerSecond), "directory-backfill");
        }
    }

    public void MapFrames(FrameRoutes.Builder routes, IReadOnlyActorRegistry registry)
    {
    }

    /// <summary>The directory in the journal's database of <paramref name="settings"/>.</summary>
    public static IUserDirectory Open(AkkaChatSettings settings, DirectorySettings directory) =>
        settings.Storage == StorageProvider.Sqlite
            ? SqlUserDirectory.Sqlite(NodeConfig.SqliteFile(settings), directory.CacheSize)
            : SqlUserDirectory.PostgreSql(settings.StorageConnectionString, directory.CacheSize);
}

public static class UserDirectoryHostingExtensions
{
    /// <summary>The user directory, in the journal's database, as <see cref="IUserDirectory"/>.</summary>
    public static IServiceCollection AddUserDirectory(this IServiceCollection services, Config config)
    {
        var settings = DirectorySettings.Create(config);
        services.AddSingleton(settings);
        services.AddSingleton(provider => UserDirectoryModule.Open(provider.GetRequiredService<AkkaChatSettings>(), settings));
        return services.AddNodeModule<UserDirectoryModule>();
    }
}
