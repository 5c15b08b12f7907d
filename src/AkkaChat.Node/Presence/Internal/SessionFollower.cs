using Akka.Actor;
using AkkaChat.Node.Sessions;

namespace AkkaChat.Node.Presence.Internal;

/// <summary>
/// One per node: hears <see cref="SessionStarted"/> from this node's connections (local event
/// stream) and tells the user's presence entity, wherever it lives, with the connection as sender.
/// </summary>
internal sealed class SessionFollower : ReceiveActor
{
    public SessionFollower(IActorRef presence)
    {
        Receive<SessionStarted>(started => presence.Tell(new SessionOpened { Phone = started.Phone }, started.Connection));
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(SessionStarted));

    public static Props Props(IActorRef presence) => Akka.Actor.Props.Create(() => new SessionFollower(presence));
}
