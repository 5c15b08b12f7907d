using Akka.Configuration;
using Akka.Hosting;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Modules;
using AkkaChat.Node.UserDirectory.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaChat.Node.UserDirectory;

/// <summary>Settings of the user directory, from <c>akkachat.directory</c>.</summary>
public sealed record DirectorySettings(int CacheSize)
{
    public static DirectorySettings Create(Config config)
    {
        var c = config.GetConfig("akkachat") ?? throw new ConfigurationException("missing 'akkachat' section");
        return new DirectorySettings(AkkaChatSettings.Positive(c, "directory.cache-size"));
    }
}

/// <summary>
/// The user directory: serves no frame of its own; the registration and inbox modules read it, the
/// user actor writes it. See <see cref="IUserDirectory"/>.
/// </summary>
public sealed class UserDirectoryModule : INodeModule
{
    public string Name => "directory";

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
