using System.Net;
using System.Net.Sockets;
using Akka;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace AkkaChat.Node.Transport;

/// <summary>
/// An accepted socket, not yet handled. <see cref="HandleWith"/> runs the connection's stream:
/// the socket's <see cref="SocketStage"/> joined with the given handler flow, materialized by the
/// caller's shared materializer (none is created per connection).
/// </summary>
public sealed class IncomingConnection(Socket socket)
{
    public EndPoint RemoteAddress => socket.RemoteEndPoint ?? new IPEndPoint(IPAddress.None, 0);

    public void HandleWith(Flow<ByteString, ByteString, NotUsed> handler, IMaterializer materializer) =>
        Flow.FromGraph(new SocketStage(socket)).Join(handler).Run(materializer);

    /// <summary>Closes a socket nobody will handle (the node stops accepting).</summary>
    public void Refuse() => socket.Dispose();
}
