using Akka.Configuration;
using AkkaChat.Node.Hosting;
using AkkaChat.Protocol;
using Microsoft.Extensions.Hosting;

try
{
    var options = NodeOptions.Parse(args);
    if (options.ShowVersion)
    {
        Console.WriteLine($"AkkaChat node {typeof(NodeOptions).Assembly.GetName().Version}, protocol version {FrameLayout.Version}");
        return 0;
    }

    var (host, settings) = ChatNodeHost.Build(options);
    Console.WriteLine(ChatNodeHost.Banner(settings));
    await host.RunAsync();
    return Environment.ExitCode;
}
catch (Exception e) when (e is ArgumentException or ConfigurationException or FormatException)
{
    Console.Error.WriteLine($"akkachat: {e.Message}");
    return 2;
}
