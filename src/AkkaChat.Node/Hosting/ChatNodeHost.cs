using Akka.Configuration;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Management;
using AkkaChat.Node.Web;
using AkkaChat.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AkkaChat.Node.Hosting;

/// <summary>
/// Builds a node from its command line: configuration, validation, storage preparation, and the
/// host with its actor system. Used by Program and by tests that run nodes in-process.
/// </summary>
public static class ChatNodeHost
{
    /// <summary>
    /// Validates the configuration and builds the host (not started). Throws
    /// <see cref="ConfigurationException"/> or <see cref="ArgumentException"/> naming what is wrong.
    /// </summary>
    public static (IHost Host, AkkaChatSettings Settings) Build(NodeOptions options, Action<ILoggingBuilder>? configureLogging = null)
    {
        var config = NodeConfig.Load(options.ConfigFile, options.Overrides);
        var logging = NodeLogging.From(config);
        config = logging.AkkaConfig().WithFallback(config);
        var settings = AkkaChatSettings.Create(config);
        NodeConfig.ValidateCluster(settings);
        if (settings.Storage == StorageProvider.Sqlite)
        {
            AkkaChatHostingExtensions.PrepareSqlite(settings);
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = false });
        builder.Logging.ClearProviders();
        if (configureLogging is null)
        {
            logging.Configure(builder.Logging);
        }
        else
        {
            configureLogging(builder.Logging);
        }

        builder.Services.AddAkkaChatNode(
            config,
            settings,
            options.ConfigFile is null ? null : new ConfigFile(Path.GetFullPath(options.ConfigFile), options.Overrides));
        builder.AddManagement(config, settings, options);
        builder.Services.AddAkkaChatWeb(config, settings);
        return (builder.Build(), settings);
    }

    /// <summary>The line a node prints once its port is bound, and a second one in dev mode.</summary>
    public static string Banner(AkkaChatSettings settings) =>
        $"AkkaChat node {settings.NodeName}: protocol v{FrameLayout.Version}, listening on {settings.ListenHost}:{settings.ListenPort}, " +
        $"data in {(settings.Storage == StorageProvider.Sqlite ? NodeConfig.SqliteFile(settings) : "PostgreSQL")}" +
        (settings.RevealCodes ? "\ndev mode: registration codes are revealed to clients (akkachat.auth.reveal-codes = on); never in production" : string.Empty);
}
