using Akka.Actor;
using Akka.Event;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Connections;
using AkkaChat.Node.Modules;
using AkkaChat.Node.Transport;

namespace AkkaChat.Node.Hosting;

/// <summary>
/// The top of the node's own supervision tree. Children start in dependency order, each after what
/// it depends on:
/// <code>
/// /user/node                 NodeSupervisor
///   config-reload            ConfigReloader          (only with --config)
///   connections              ConnectionsSupervisor   one-for-one, stop the failed connection
///     c-1, c-2, ...          ConnectionActor         one per socket
///   listener                 TcpListener             last: accepts only once the rest is up
/// /system/sharding/user      UserActor per phone     started by cluster sharding before this tree
/// </code>
/// Strategy: a listener that cannot bind stops, and the node shuts down (it cannot serve); any other
/// failure of a direct child restarts that child alone.
/// </summary>
public sealed class NodeSupervisor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _connections;
    private readonly IActorRef _listener;
    private readonly AkkaChatSettings _settings;

    public NodeSupervisor(AkkaChatSettings settings, RuntimeSettingsSource runtime, IActorRef users, FrameRoutes routes, ConfigFile? configFile)
    {
        _settings = settings;
        if (configFile is not null && settings.ConfigReloadInterval > TimeSpan.Zero)
        {
            Context.ActorOf(ConfigReloader.Props(configFile.Path, configFile.Overrides, runtime, settings.ConfigReloadInterval), "config-reload");
        }

        _connections = Context.ActorOf(ConnectionsSupervisor.Props(settings, runtime, users, routes), "connections");
        _listener = Context.ActorOf(TcpListener.Props(settings, _connections), "listener");
        Context.Watch(_listener);

        Receive<Terminated>(t => t.ActorRef.Equals(_listener), _ =>
        {
            _log.Error("The listener stopped; the node cannot accept clients and shuts down");
            CoordinatedShutdown.Get(Context.System).Run(ListenerFailed.Instance);
        });
        Receive<StopAccepting>(_ =>
        {
            Context.Unwatch(_listener);
            Context.Stop(_listener);
            _connections.Forward(ConnectionsSupervisor.CloseAll.Instance);
        });
    }

    public static Props Props(AkkaChatSettings settings, RuntimeSettingsSource runtime, IActorRef users, FrameRoutes routes, ConfigFile? configFile) =>
        Akka.Actor.Props.Create(() => new NodeSupervisor(settings, runtime, users, routes, configFile));

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(_settings.SupervisorMaxRestarts, _settings.SupervisorRestartWindow, Decider.From(e =>
            e is BindFailedException or ActorInitializationException { InnerException: BindFailedException } ? Directive.Stop : Directive.Restart));

    /// <summary>
    /// Shutdown, first step: stop accepting, close every connection cleanly, and answer once they are
    /// all closed.
    /// </summary>
    public sealed class StopAccepting
    {
        public static readonly StopAccepting Instance = new();
    }

    public sealed class ListenerFailed : CoordinatedShutdown.Reason
    {
        public static readonly ListenerFailed Instance = new();

        public override int ExitCode => 1;
    }
}

/// <summary>The --config file and command-line overrides, for reloading.</summary>
public sealed record ConfigFile(string Path, IReadOnlyList<string> Overrides);
