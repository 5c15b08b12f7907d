using Akka.Actor;
using Akka.Hosting;

namespace AkkaChat.Node.Modules;

/// <summary>
/// A feature of the node (registration, sessions, the inbox, groups, presence...): the unit the
/// node is built from. A module is registered by its own <c>AddXxx(...)</c> hosting extension,
/// which adds it to the services as an <see cref="INodeModule"/> together with its settings.
/// The node calls every module in registration order: <see cref="ConfigureAkka"/> while it
/// configures the actor system; once it runs, first <see cref="StartActors"/>, then
/// <see cref="MapFrames"/>; only then does it accept sockets.
/// </summary>
public interface INodeModule
{
    /// <summary>The module's name, as in its HOCON section (<c>akkachat.&lt;name&gt;</c>) and logs.</summary>
    string Name { get; }

    /// <summary>
    /// Adds what the module needs to the actor system's configuration: its shard region
    /// (<c>akka.WithShardRegion&lt;TKey&gt;</c> with the node's <c>ShardingSettings.ShardOptions()</c>,
    /// registered under TKey before <see cref="StartActors"/> runs), a serializer for its contracts
    /// (<c>akka.WithCustomSerializer</c>), HOCON. Runs before the actor system starts.
    /// </summary>
    void ConfigureAkka(AkkaConfigurationBuilder akka)
    {
    }

    /// <summary>
    /// Starts the module's own actors (a singleton, a recorder...) and registers each in
    /// <paramref name="registry"/> under a key type of the module, so that its frame handlers
    /// and other modules find it. Runs before any module maps its frames.
    /// </summary>
    void StartActors(ActorSystem system, IActorRegistry registry)
    {
    }

    /// <summary>
    /// Declares the frame types the module serves, with the connection phase each is served in.
    /// A frame type may be served by one module per phase; a second claim fails the node's start.
    /// </summary>
    void MapFrames(FrameRoutes.Builder routes, IReadOnlyActorRegistry registry);
}
