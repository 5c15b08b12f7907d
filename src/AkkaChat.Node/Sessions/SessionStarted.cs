using Akka.Actor;

namespace AkkaChat.Node.Sessions;

/// <summary>
/// Published on the local event stream by a connection once it is logged in (AUTH_OK written):
/// modules that follow sessions (presence) subscribe to it. The session ends when
/// <paramref name="Connection"/> terminates; watch it.
/// </summary>
public sealed record SessionStarted(string Phone, IActorRef Connection);
