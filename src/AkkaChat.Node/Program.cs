using Akka.Configuration;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Transport;
using AkkaChat.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Exit codes: 0 stopped normally, 1 could not serve (port not bound, start failed), 2 bad command line or configuration.
try
{
    var options = NodeOptions.Parse(args);
    if (options.ShowVersion)
    {
        Console.WriteLine($"AkkaChat node {typeof(NodeOptions).Assembly.GetName().Version}, protocol version {FrameLayout.Version}");
        return 0;
    }

    var (host, settings) = ChatNodeHost.Build(options);
    if (ListenerWatch.ProbePort(settings.ListenHost, settings.ListenPort) is { } taken)
    {
        Console.Error.WriteLine($"error: {taken}");
        return 1;
    }

    try
    {
        await host.StartAsync();
        await host.Services.GetRequiredService<ListenerWatch>().Bound;
    }
    catch (OperationCanceledException) when (host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested)
    {
        // SIGTERM or Ctrl-C while the host was still starting: the host cancels the services that
        // were starting. A stop was asked for and the node stops, so this is a normal exit.
        Console.WriteLine("AkkaChat node stopped while starting: a stop was requested");
        await host.StopAsync();
        return 0;
    }
    catch (Exception e) when (e is BindFailedException or OperationCanceledException)
    {
        // The banner is only printed once clients can connect; this one line replaces it.
        Console.Error.WriteLine(e is BindFailedException ? $"error: {e.Message}" : "error: the node stopped before it could accept clients");
        await host.StopAsync();
        return 1;
    }

    Console.WriteLine(ChatNodeHost.Banner(settings));
    await host.WaitForShutdownAsync();
    return Environment.ExitCode;
}
catch (Exception e) when (e is ArgumentException or ConfigurationException or FormatException)
{
    Console.Error.WriteLine($"akkachat: {e.Message}");
    return 2;
}
