using System.Collections.Immutable;
using System.Net;
using System.Reflection;
using Akka.Actor;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using StreamTcp = Akka.Streams.Dsl.Tcp;

namespace AkkaChat.Node.Transport;

/// <summary>
/// Akka.Streams TCP binding for any listen address. The public <c>TcpExt.Bind(host, ...)</c> resolves
/// its host through DNS, and .NET's resolver refuses the wildcard addresses (0.0.0.0, ::) a server
/// listens on. For those this builds the same connection source stage Bind builds, from an IPEndPoint.
/// </summary>
internal static class TcpBind
{
    private static readonly Type? ConnectionSourceStage =
        typeof(StreamTcp).Assembly.GetType("Akka.Streams.Implementation.IO.ConnectionSourceStage");

    public static Source<StreamTcp.IncomingConnection, Task<StreamTcp.ServerBinding>> Bind(ActorSystem system, string host, int port, int backlog)
    {
        if (!IPAddress.TryParse(host, out var address) || !(address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)))
        {
            return system.TcpStream().Bind(host, port, backlog);
        }

        if (ConnectionSourceStage is null)
        {
            throw new InvalidOperationException($"this Akka.Streams version cannot bind {host}; listen on a specific address");
        }

        var bindShutdownTimeout = ActorMaterializer.Create(system).Settings.SubscriptionTimeoutSettings.Timeout;
        var stage = Activator.CreateInstance(
            ConnectionSourceStage,
            BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance,
            binder: null,
            args: [system.Tcp(), new IPEndPoint(address, port), backlog, ImmutableList<Inet.SocketOption>.Empty, false, null, bindShutdownTimeout],
            culture: null)!;
        return Source.FromGraph((IGraph<SourceShape<StreamTcp.IncomingConnection>, Task<StreamTcp.ServerBinding>>)stage);
    }
}
