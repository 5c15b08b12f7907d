using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Hosting;
using AkkaChat.Node.Contacts;
using AkkaChat.Node.Modules;
using AkkaChat.Node.Presence.Internal;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Microsoft.Extensions.DependencyInjection;
using PresenceFrame = AkkaChat.Protocol.Messages.Presence;
using ProtocolError = AkkaChat.Protocol.Messages.Error;

namespace AkkaChat.Node.Presence;

/// <summary>
/// PRESENCE_SUBSCRIBE and TYPING, logged in only. Nothing here is queued or journaled: presence
/// and typing reach connected users only, through each user's <see cref="PresenceActor"/>.
/// <para>Privacy: a subscriber may watch the numbers in its own synced address book (and itself);
/// any other number is answered once as offline with no last seen, and not watched. See
/// docs/presence.md.</para>
/// </summary>
public sealed class PresenceModule(PresenceSettings settings, IAddressBooks books, TimeProvider clock) : INodeModule
{
    /// <summary>Highest typing state of the protocol (0 PAUSED, 1 COMPOSING, 2 RECORDING).</summary>
    private const uint MaxTypingState = 2;

    public string Name => "presence";

    public void StartActors(ActorSystem system, IActorRegistry registry)
    {
        var presence = ClusterSharding.Get(system).Start(
            PresenceShard.TypeName,
            phone => PresenceActor.Props(phone, settings, clock),
            // Never passivated for being quiet: an online user sends its presence entity nothing.
            ClusterShardingSettings.Create(system).WithPassivateIdleAfter(TimeSpan.Zero),
            new UserShard());
        registry.Register<PresenceShard>(presence);
        system.ActorOf(SessionFollower.Props(presence), "presence-sessions");
    }

    public void MapFrames(FrameRoutes.Builder routes, IReadOnlyActorRegistry registry)
    {
        var presence = registry.Get<PresenceShard>();
        var groups = registry.TryGet<Groups.GroupShard>(out var region) ? region : null;
        routes
            .Serve<PresenceSubscribe>(ConnectionPhase.LoggedIn, (subscribe, connection) => HandleSubscribe(subscribe, connection, presence))
            .Serve<Typing>(ConnectionPhase.LoggedIn, (typing, connection) => HandleTyping(typing, connection, presence, groups));
    }

    private void HandleSubscribe(PresenceSubscribe subscribe, IConnection connection, IActorRef presence)
    {
        var me = connection.Phone!;
        var targets = new List<string>(subscribe.Phones.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var phone in subscribe.Phones)
        {
            if (!PhoneNumber.IsValid(phone))
            {
                // The valid numbers of the list are still answered.
                connection.Reply(ProtocolError.Of(ErrorCode.BadRequest, $"'{phone}' is not an E.164 phone number (+ then 8 to 15 digits)", phone));
            }
            else if (seen.Add(phone))
            {
                targets.Add(phone);
            }
        }

        if (targets.Count == 0)
        {
            return;
        }

        connection.Await(
            books.ContainedAsync(me, targets),
            allowed =>
            {
                foreach (var phone in targets)
                {
                    if (phone == me || allowed.Contains(phone))
                    {
                        presence.Tell(new WatchPresence { Phone = phone }, connection.Self);
                    }
                    else
                    {
                        connection.Write(new PresenceFrame { Phone = phone, Online = false });
                    }
                }
            },
            _ => connection.Reply(ProtocolError.Of(ErrorCode.Internal, "presence is unavailable; subscribe again")));
    }

    private static void HandleTyping(Typing typing, IConnection connection, IActorRef presence, IActorRef? groups)
    {
        if (typing.State > MaxTypingState)
        {
            connection.Reply(ProtocolError.Of(ErrorCode.BadRequest, $"typing state {typing.State} is not 0 PAUSED, 1 COMPOSING or 2 RECORDING", typing.To));
            return;
        }

        var to = ChatAddress.Parse(typing.To); // BAD_REQUEST when neither a number nor g:<id>
        if (to.IsGroup)
        {
            // The group relays a member's typing to its other members; a non-member's, or typing to
            // an unknown group, is dropped silently (docs/protocol.md).
            if (groups is not null)
            {
                Groups.GroupsModule.Typing(groups, typing, to.GroupId, connection);
            }

            return;
        }

        if (to.Value == connection.Phone)
        {
            return; // typing to oneself goes nowhere
        }

        // An offline or unknown peer's presence entity drops it and stops: no journal is read.
        presence.Tell(new RelayTyping { Phone = to.Value, From = connection.Phone, State = typing.State }, ActorRefs.NoSender);
    }
}

public static class PresenceHostingExtensions
{
    /// <summary>Presence (PRESENCE_SUBSCRIBE) and typing (TYPING), in memory, never queued.</summary>
    public static IServiceCollection AddPresence(this IServiceCollection services, Config config)
    {
        services.AddSingleton(PresenceSettings.Create(config));
        return services.AddNodeModule<PresenceModule>();
    }
}
