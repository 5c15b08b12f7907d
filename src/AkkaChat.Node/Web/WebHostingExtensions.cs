using Akka.Configuration;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Web.Media;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AkkaChat.Node.Web;

public static class WebHostingExtensions
{
    /// <summary>
    /// Adds the web port (WebSocket, media, web client) when <c>akkachat.web.enabled</c>, with the
    /// media store that <c>akkachat.media.store</c> names and its sweeper. Call after AddAkkaChatNode:
    /// hosted services start in order, and the web port needs the actor system.
    /// </summary>
    public static IServiceCollection AddAkkaChatWeb(this IServiceCollection services, Config config, AkkaChatSettings node)
    {
        var settings = WebSettings.Create(config, node);
        if (!settings.Enabled)
        {
            return services;
        }

        services.AddSingleton(settings);
        services.AddSingleton<IMediaStore>(_ => settings.MediaStore == MediaStoreKind.PostgreSql
            ? new PostgresMediaStore(node.StorageConnectionString, settings.MediaChunkBytes)
            : new FileMediaStore(Path.Combine(Path.GetFullPath(node.DataDir), "media"), settings.MediaChunkBytes));
        services.AddSingleton<IMediaAuthorizer, DirectoryMediaAuthorizer>();
        services.AddSingleton<WebMetrics>();
        services.AddSingleton<WebHost>();
        services.AddHostedService(provider => provider.GetRequiredService<WebHost>());
        services.AddHostedService<MediaSweeper>();
        return services;
    }
}
