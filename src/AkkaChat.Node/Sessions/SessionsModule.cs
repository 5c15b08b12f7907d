using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using AkkaChat.Node.Modules;
using AkkaChat.Protocol.Messages;

namespace AkkaChat.Node.Sessions;

/// <summary>
/// The session of a logged-in connection with its user: keep-alive (PING, served in every phase).
/// Attaching, replacing and resuming a session are the user entity's part (see docs/node.md).
/// </summary>
public sealed class SessionsModule : INodeModule
{
    public string Name => "sessions";

    public void MapFrames(FrameRoutes.Builder routes, IReadOnlyActorRegistry registry) =>
        routes.Serve<Ping>(ConnectionPhase.Always, static (ping, connection) =>
            connection.Write(new Pong { Nonce = ping.Nonce, ServerTimeMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }));
}

public static class SessionsHostingExtensions
{
    /// <summary>Keep-alive and the session of a logged-in connection.</summary>
    public static IServiceCollection AddSessions(this IServiceCollection services) => services.AddNodeModule<SessionsModule>();
}
