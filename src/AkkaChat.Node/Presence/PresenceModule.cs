using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Configuration;
using Akka.Hosting;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Contacts;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Modules;
using AkkaChat.Node.Presence.Internal;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Microsoft.Extensions.DependencyInjection;
using AkkaChat.Node.Diagnostics;
using PresenceFrame = AkkaChat.Protocol.Messages.Presence;
using ProtocolError = AkkaChat.Protocol.Messages.Error;

namespace AkkaChat.Node.Presence;

/// <summary>
/// PRESENCE_SUBSCRIBE and TYPING, logged in only. Nothing here is queued or journaled: presence
/// and typing reach connected users only, through each user's <see cref="PresenceActor"/>.
/// <para>Privacy: a subscriber may watch the numbers in its own synced address book, the people it
/// has a chat with (either sent the other a message), the members of its groups, and itself; any
/// other number is answered once as offline with no last seen, and not watched. See
/// docs/presence.md.</para>
/// </summary>
public sealed class PresenceModule(PresenceSettings settings, ShardingSettings sharding, IAddressBooks books, IAcquaintances acquaintances, TimeProvider clock) : INodeModule
{
    /// <summary>Highest typing state of the protocol (0 PAUSED, 1 COMPOSING, 2 RECORDING).</summary>
    private const uint MaxTypingState = 2;

    public string Name => "presence";

    // Never passivated for being quiet (the node's shard options never passivate idle entities):
    // an online user sends its presence entity nothing.
    public void ConfigureAkka(AkkaConfigurationBuilder akka) =>
        akka.WithShardRegion<PresenceShard>(PresenceShard.TypeName, phone => PresenceActor.Props(phone, settings, clock), new UserShard(), sharding.ShardOptions());

    public void StartActors(ActorSystem system, IActorRegistry registry)
    {
        var presence = registry.Get<PresenceShard>();
        system.ActorOf(SessionFollower.Props(presence), "presence-sessions");
        registry.Register<ChatLog>(system.ActorOf(ChatRecorder.Props(acquaintances, settings), "presence-chats"));
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
            WatchableAsync(me, targets),
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
            failure => connection.Reply(Overload.Refusal(failure, "presence is unavailable; subscribe again")));
    }

    /// <summary>
    /// Those of <paramref name="targets"/> that <paramref name="me"/> may watch: in its address book
    /// (one indexed query), else with a chat or a group in common (one more query, only for the rest).
    /// </summary>
    private async Task<IReadOnlySet<string>> WatchableAsync(string me, List<string> targets)
    {
        var inBook = await books.ContainedAsync(me, targets).ConfigureAwait(false);
        var rest = targets.Where(p => p != me && !inBook.Contains(p)).ToList();
        if (rest.Count == 0)
        {
            return inBook;
        }

        var acquainted = await acquaintances.AcquaintedAsync(me, rest).ConfigureAwait(false);
        return acquainted.Count == 0 ? inBook : new HashSet<string>(inBook.Concat(acquainted), StringComparer.Ordinal);
    }

    /// <summary>The store of chats and group memberships in the journal's database.</summary>
    public static IAcquaintances OpenAcquaintances(AkkaChatSettings settings) =>
        settings.Storage == StorageProvider.Sqlite
            ? SqlAcquaintances.Sqlite(NodeConfig.SqliteFile(settings))
            : SqlAcquaintances.PostgreSql(settings.StorageConnectionString);

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
        services.AddSingleton(provider => PresenceModule.OpenAcquaintances(provider.GetRequiredService<AkkaChatSettings>()));
        return services.AddNodeModule<PresenceModule>();
    }
}
