using Akka.Configuration;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Hosting;
using AkkaChat.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

NodeOptions options;
Config config;
AkkaChatSettings settings;
try
{
    options = NodeOptions.Parse(args);
    if (options.ShowVersion)
    {
        Console.WriteLine($"AkkaChat node {typeof(NodeOptions).Assembly.GetName().Version}, protocol version {FrameLayout.Version}");
        return 0;
    }

    config = NodeConfig.Load(options.ConfigFile, options.Overrides);
    settings = AkkaChatSettings.Create(config);
}
catch (Exception e) when (e is ArgumentException or ConfigurationException or FormatException)
{
    Console.Error.WriteLine($"akkachat: {e.Message}");
    return 2;
}

if (settings.Storage == StorageProvider.Sqlite)
{
    AkkaChatHostingExtensions.PrepareSqlite(settings);
}

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
});
builder.Services.AddAkkaChatNode(
    config,
    settings,
    options.ConfigFile is null ? null : new ConfigFile(Path.GetFullPath(options.ConfigFile), options.Overrides));

var host = builder.Build();
var storage = settings.Storage == StorageProvider.Sqlite ? NodeConfig.SqliteFile(settings) : "PostgreSQL";
Console.WriteLine($"AkkaChat node {settings.NodeName}: protocol v{FrameLayout.Version} on {settings.ListenHost}:{settings.ListenPort}, data in {storage}");
await host.RunAsync();
return 0;
