using System.Net;
using Akka.Actor;
using Akka.Streams;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Connections;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Web.Media;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AkkaChat.Node.Web;

/// <summary>
/// The node's web port (ASP.NET Core on Kestrel, <c>akkachat.web</c>): the protocol over WebSocket at
/// <c>/v1/ws</c>, media at <c>/v1/media</c>, health at <c>/healthz</c> and <c>/readyz</c>, Prometheus
/// metrics at <c>/metrics</c>, and the
/// browser client at <c>/</c>. It runs as its own
/// small web application inside the node's host, started after the actor system (whose connection
/// supervisor every WebSocket goes through) and stopped before it.
/// </summary>
internal sealed class WebHost : IHostedService
{
    /// <summary>Where NodeSupervisor starts the ConnectionsSupervisor; shared by TCP and WebSocket.</summary>
    private const string ConnectionsPath = "/user/node/connections";

    /// <summary>How long the web port waits for the node's actors (akkachat.web.ask-timeout).</summary>
    private TimeSpan AskTimeout => _settings.AskTimeout;

    private readonly WebSettings _settings;
    private readonly AkkaChatSettings _node;
    private readonly ActorSystem _system;
    private readonly IMediaStore _media;
    private readonly IMediaAuthorizer _authorizer;
    private readonly WebMetrics _metrics;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private WebApplication? _app;

    public WebHost(WebSettings settings, AkkaChatSettings node, ActorSystem system, IMediaStore media, IMediaAuthorizer authorizer, WebMetrics metrics, ILoggerFactory loggers)
    {
        _settings = settings;
        _node = node;
        _system = system;
        _media = media;
        _authorizer = authorizer;
        _metrics = metrics;
        _loggers = loggers;
        _log = loggers.CreateLogger("AkkaChat.Node.Web");
    }

    /// <summary>The address Kestrel bound (with the real port when akkachat.web.port = 0).</summary>
    public Uri? Address { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _media.InitializeAsync(cancellationToken);
        var connections = await ResolveConnectionsAsync(cancellationToken);
        var materializer = _system.Materializer(namePrefix: "websocket");

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggers);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(ListenAddress(_settings.Host), _settings.Port);
            kestrel.Limits.MaxRequestBodySize = null; // POST /v1/media enforces akkachat.media.max-bytes itself
        });
        _app = builder.Build();
        _app.UseWebSockets();
        _app.Map("/v1/ws", context => AcceptWebSocketAsync(context, connections, materializer));
        _app.MapMedia(_media, _authorizer, _settings, _metrics);
        _app.MapHealth(_system, _node, _settings);
        _app.MapGet("/metrics", async context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await _metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        });
        ServeClient(_app);
        await _app.StartAsync(cancellationToken);

        var bound = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Address = new Uri(bound);
        _log.LogInformation("Web port on {Address}: WebSocket /v1/ws, media /v1/media, web client /", bound);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is null)
        {
            return;
        }

        // Close every connection (TCP and WebSocket) the way the node's shutdown does, so WebSocket
        // handlers return before Kestrel stops; coordinated shutdown repeats this harmlessly.
        try
        {
            var node = await _system.ActorSelection("/user/node").ResolveOne(AskTimeout);
            await node.Ask<Akka.Done>(NodeSupervisor.StopAccepting.Instance, _node.ShutdownDrainTimeout, cancellationToken);
        }
        catch (ActorNotFoundException)
        {
            // The node supervisor has stopped already (the node's shutdown began at the stop
            // request, before the hosted services stop), and it closed every connection as it stopped.
            _log.LogDebug("The node supervisor had stopped before the web port; its connections are closed");
        }
        catch (Exception e) // the actor system may be gone already (terminated first); the web port stops regardless
        {
            _log.LogWarning("Connections did not all close before the web port stopped: {Reason}", e.Message);
        }

        await _app.StopAsync(cancellationToken);
        await _app.DisposeAsync();
    }

    /// <summary>
    /// The node supervisor creates the connections supervisor when it starts, which may be just after
    /// the actor system's hosted service returns: ask until it answers, within the deadline.
    /// </summary>
    private async Task<IActorRef> ResolveConnectionsAsync(CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + AskTimeout;
        while (true)
        {
            try
            {
                return await _system.ActorSelection(ConnectionsPath).ResolveOne(TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (ActorNotFoundException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
    }

    private async Task AcceptWebSocketAsync(HttpContext context, IActorRef connections, IMaterializer materializer)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            await context.Response.WriteAsync("/v1/ws speaks the AkkaChat protocol over WebSocket: one frame per binary message\n");
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var remote = $"ws:{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";
        var admitted = await connections.Ask<ConnectionsSupervisor.Admitted>(new ConnectionsSupervisor.AdmitConnection(remote), AskTimeout);
        _metrics.WebSocketSessions.Inc();
        try
        {
            await new WebSocketConnection(socket, _settings.CloseTimeout).RunAsync(admitted.Flow, materializer);
        }
        finally
        {
            _metrics.WebSocketSessions.Dec();
        }
    }

    /// <summary>
    /// The browser client: the bundle built from src/AkkaChat.WebClient into the node's output
    /// (wwwroot), index.html at /.
    /// </summary>
    private void ServeClient(WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (!Directory.Exists(root))
        {
            _log.LogWarning("No web client in {Root}: build src/AkkaChat.WebClient (the node's build does it when npm is installed)", root);
            return;
        }

        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
    }

    private static IPAddress ListenAddress(string host) =>
        host == "localhost" ? IPAddress.Loopback
        : IPAddress.TryParse(host, out var address) ? address
        : Dns.GetHostAddresses(host).First();
}
