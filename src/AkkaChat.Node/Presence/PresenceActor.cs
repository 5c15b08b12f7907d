using Akka.Actor;
using Akka.Cluster.Sharding;
using AkkaChat.Protocol.Messages;
using PresenceFrame = AkkaChat.Protocol.Messages.Presence;

namespace AkkaChat.Node.Presence;

/// <summary>
/// The presence of one user (entity id = phone), placed by cluster sharding in its own region
/// (<see cref="PresenceShard"/>) with the same shard function as the user actor. Not persistent:
/// sessions and watchers are connections, watched with DeathWatch, so a session or a watcher ends
/// when its connection stops, on any node. Typing to this user goes through here to its session.
/// <para>Stops at once when it has nothing to serve or remember (a TYPING to an offline user who
/// was never seen), and after <see cref="PresenceSettings.ForgetAfter"/> offline and unwatched.</para>
/// </summary>
public sealed class PresenceActor : UntypedActor
{
    private readonly PresenceState<IActorRef> _state;
    private readonly PresenceSettings _settings;
    private readonly TimeProvider _clock;

    public PresenceActor(string phone, PresenceSettings settings, TimeProvider clock)
    {
        _state = new PresenceState<IActorRef>(phone);
        _settings = settings;
        _clock = clock;
    }

    public static Props Props(string phone, PresenceSettings settings, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new PresenceActor(phone, settings, clock));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SessionOpened:
                Context.Watch(Sender); // watching twice is watching once
                Broadcast(_state.SessionOpened(Sender));
                break;
            case WatchPresence:
                Context.Watch(Sender);
                Sender.Tell(_state.Watch(Sender));
                break;
            case RelayTyping typing:
                _state.Session?.Tell(new TypingNotify { From = typing.From, State = typing.State, GroupId = typing.GroupId });
                break;
            case Terminated terminated:
                Broadcast(_state.ConnectionClosed(terminated.ActorRef, _clock.GetUtcNow().ToUnixTimeMilliseconds()));
                break;
            case ReceiveTimeout when _state.Idle:
                Context.Parent.Tell(new Passivate(PoisonPill.Instance));
                break;
            case ReceiveTimeout:
                break;
            default:
                Unhandled(message);
                return;
        }

        if (_state.Empty)
        {
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        }
        else
        {
            Context.SetReceiveTimeout(_state.Idle ? _settings.ForgetAfter : null);
        }
    }

    private void Broadcast(PresenceFrame? change)
    {
        if (change is null)
        {
            return;
        }

        foreach (var watcher in _state.Watchers)
        {
            watcher.Tell(change);
        }
    }
}
