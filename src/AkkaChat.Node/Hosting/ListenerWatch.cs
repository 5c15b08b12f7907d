using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using AkkaChat.Node.Transport;

namespace AkkaChat.Node.Hosting;

/// <summary>
/// Tells the process when the protocol port is bound, or why it could not be: Program prints its
/// banner only once clients can connect, and a bind failure as one line and a non-zero exit.
/// Subscribes to the listener's events on the event stream before the listener starts, so neither
/// outcome can be missed.
/// </summary>
public sealed class ListenerWatch
{
    private readonly TaskCompletionSource<ListenerBound> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the bound address, or fails with <see cref="BindFailedException"/>.</summary>
    public Task<ListenerBound> Bound => _bound.Task;

    /// <summary>Starts watching; call before the listener is created.</summary>
    public void Watch(ActorSystem system)
    {
        var watcher = system.ActorOf(Props.Create(() => new Watcher(_bound)), "listener-watch");
        system.EventStream.Subscribe(watcher, typeof(ListenerBound));
        system.EventStream.Subscribe(watcher, typeof(ListenerBindFailed));
        system.WhenTerminated.ContinueWith(_ => _bound.TrySetCanceled(), TaskScheduler.Default);
    }

    /// <summary>
    /// Binds and releases the port once before the node starts, so the common failure (the port is
    /// taken) is reported at once, in one line, before anything else runs. Null when the port is free.
    /// The listener's own bind remains the authority: a port taken in between fails there.
    /// </summary>
    public static string? ProbePort(string host, int port)
    {
        try
        {
            var address = host is "0.0.0.0" or "*" ? IPAddress.Any : IPAddress.Parse(host);
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(1);
            return null;
        }
        catch (FormatException)
        {
            return null; // a host name: the listener resolves it
        }
        catch (SocketException e)
        {
            return Describe(host, port, e);
        }
    }

    /// <summary>What a user reads when the port cannot be bound: the common cases named plainly.</summary>
    public static string Describe(string host, int port, Exception cause)
    {
        var socket = cause as SocketException ?? cause.InnerException as SocketException;
        return socket?.SocketErrorCode switch
        {
            SocketError.AddressAlreadyInUse => $"port {port} is already in use",
            SocketError.AccessDenied => $"no permission to listen on port {port}",
            SocketError.AddressNotAvailable => $"{host} is not an address of this machine",
            _ => $"cannot listen on {host}:{port}: {cause.Message}",
        };
    }

    private sealed class Watcher : ReceiveActor
    {
        public Watcher(TaskCompletionSource<ListenerBound> bound)
        {
            Receive<ListenerBound>(b => bound.TrySetResult(b));
            Receive<ListenerBindFailed>(f => bound.TrySetException(new BindFailedException(f.Reason, new IOException(f.Reason))));
        }
    }
}
