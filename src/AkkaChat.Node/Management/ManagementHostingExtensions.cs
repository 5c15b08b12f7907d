using Akka.Actor;
using Akka.Configuration;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AkkaChat.Node.Management;

public static class ManagementHostingExtensions
{
    /// <summary>
    /// Adds management to a node: the log ring buffer, the management peer (<c>/user/management</c>:
    /// cluster-wide hot reload, trace gathering) and, unless <c>akkachat.management.enabled = off</c>,
    /// the management host. Validates <c>akkachat.management</c> now, so a bad section stops the node
    /// before it starts. Call after <c>AddAkkaChatNode</c>: its hosted service needs the actor system running.
    /// </summary>
    public static IHostApplicationBuilder AddManagement(this IHostApplicationBuilder builder, Config config, AkkaChatSettings settings, NodeOptions options)
    {
        var management = ManagementSettings.Create(config);
        var log = new LogBuffer(management.LogBufferLines);
        builder.Logging.AddProvider(new LogBufferLoggerProvider(log));
        var configFile = options.ConfigFile is null ? null : new ConfigFile(Path.GetFullPath(options.ConfigFile), options.Overrides);
        builder.Services.AddHostedService(provider => new ManagementService(provider, settings, management, log, configFile));
        return builder;
    }

    /// <summary>Starts the peer and the host once the actor system runs; stops the host first at shutdown.</summary>
    private sealed class ManagementService(IServiceProvider provider, AkkaChatSettings settings, ManagementSettings management, LogBuffer log, ConfigFile? configFile) : IHostedService
    {
        private ManagementHost? _host;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            var system = provider.GetRequiredService<ActorSystem>();
            var runtime = provider.GetRequiredService<RuntimeSettingsSource>();
            var loggers = provider.GetRequiredService<ILoggerFactory>();
            var peer = system.ActorOf(ManagementPeer.Props(runtime, settings.NodeName, management.PeerAskTimeout), ManagementPeer.Name);
            system.ActorOf(Diagnostics.NodeGauges.Props(settings.MetricsSampleInterval), Diagnostics.NodeGauges.Name);
            if (!management.Enabled)
            {
                return Task.CompletedTask;
            }

            var context = new ManagementContext(system, settings, management, runtime, log, configFile, peer);
            IPalette[] palettes =
            [
                new ClusterPalette(context),
                new ShardingPalette(context),
                new ActorPalette(context),
                new LogPalette(context),
                new AkkaChatPalette(context, loggers.CreateLogger<AkkaChatPalette>()),
            ];
            _host = new ManagementHost(context, palettes, loggers.CreateLogger<ManagementHost>());
            _host.Start();
            return Task.CompletedTask;
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            if (_host is not null)
            {
                await _host.DisposeAsync();
            }
        }
    }
}
