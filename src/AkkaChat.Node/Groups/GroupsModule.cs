using System.Security.Cryptography;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Configuration;
using Akka.Hosting;
using AkkaChat.Node.Groups.Contracts;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Modules;
using AkkaChat.Node.UserDirectory;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Microsoft.Extensions.DependencyInjection;
using AkkaChat.Node.Diagnostics;
using ProtocolError = AkkaChat.Protocol.Messages.Error;

namespace AkkaChat.Node.Groups;

/// <summary>
/// Groups: GROUP_CREATE, GROUP_UPDATE and GROUP_GET (logged in), and SEND to <c>g:&lt;id&gt;</c>
/// (handed over by the inbox module, <see cref="Post"/>). One sharded <see cref="GroupActor"/> per
/// group. Numbers to add are checked against the user directory in one bulk lookup first: unknown
/// ones are answered NOT_FOUND naming them, without the group seeing the request.
/// </summary>
public sealed class GroupsModule(GroupSettings settings, ShardingSettings sharding, IUserDirectory directory, Presence.IAcquaintances acquaintances, TimeProvider clock) : INodeModule
{
    public string Name => "groups";

    public void ConfigureAkka(AkkaConfigurationBuilder akka) =>
        akka.WithShardRegion<GroupShard>(
            GroupShard.TypeName,
            // Entities start once the node runs, so the user and presence regions are registered by then.
            (_, registry) => groupId => GroupActor.Props(
                groupId, settings, registry.Get<UserShard>(), registry.TryGet<Presence.PresenceShard>(out var presence) ? presence : ActorRefs.Nobody, acquaintances, clock),
            new GroupShard(),
            sharding.ShardOptions());

    public void MapFrames(FrameRoutes.Builder routes, IReadOnlyActorRegistry registry)
    {
        var groups = registry.Get<GroupShard>();
        routes
            .Serve<GroupCreate>(ConnectionPhase.LoggedIn, (create, connection) => HandleCreate(create, connection, groups))
            .Serve<GroupUpdate>(ConnectionPhase.LoggedIn, (update, connection) => HandleUpdate(update, connection, groups))
            .Serve<GroupGet>(ConnectionPhase.LoggedIn, (get, connection) =>
            {
                if (ParseGroupId(get.GroupId, get.RequestId, connection) is { } id)
                {
                    groups.Tell(new GetGroup { GroupId = id, RequestId = get.RequestId, By = connection.Phone }, connection.Self);
                }
            });
    }

    /// <summary>A SEND to g:<paramref name="groupId"/> the inbox module has checked (client_msg_id, size, rate).</summary>
    public static void Post(IActorRef groups, Send send, string groupId, IConnection connection) =>
        groups.Tell(
            new PostGroupMessage { GroupId = groupId, From = connection.Phone, ClientMsgId = send.ClientMsgId, Kind = send.Kind, Body = send.Body, MediaId = send.MediaId },
            connection.Self);

    /// <summary>TYPING to g:<paramref name="groupId"/> (checked by the presence module): relayed by the group to its other members, or dropped.</summary>
    public static void Typing(IActorRef groups, Typing typing, string groupId, IConnection connection) =>
        groups.Tell(new GroupTyping { GroupId = groupId, From = connection.Phone, State = typing.State }, ActorRefs.NoSender);

    /// <summary>A new random group id: 128 bits, hex.</summary>
    public static string NewGroupId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private void HandleCreate(GroupCreate create, IConnection connection, IActorRef groups)
    {
        if (ParsePhones(create.Members, create.RequestId, connection) is not { } members)
        {
            return;
        }

        members.Remove(connection.Phone!);
        if (members.Count + 1 > settings.MaxMembers)
        {
            connection.Reply(ProtocolError.Of(ErrorCode.BadRequest, $"a group has at most {settings.MaxMembers} members", create.RequestId));
            return;
        }

        var command = new CreateGroup { GroupId = NewGroupId(), RequestId = create.RequestId, Creator = connection.Phone, Subject = create.Subject, Members = { members } };
        WhenRegistered(members, create.RequestId, connection, () => groups.Tell(command, connection.Self));
    }

    private void HandleUpdate(GroupUpdate update, IConnection connection, IActorRef groups)
    {
        if (ParseGroupId(update.GroupId, update.RequestId, connection) is not { } id
            || ParsePhones(update.Add, update.RequestId, connection) is not { } add
            || ParsePhones(update.Remove, update.RequestId, connection) is not { } remove
            || ParsePhones(update.Promote, update.RequestId, connection) is not { } promote)
        {
            return;
        }

        var command = new UpdateGroup
        {
            GroupId = id, RequestId = update.RequestId, By = connection.Phone, Add = { add }, Remove = { remove }, Promote = { promote },
            Subject = update.Subject, Leave = update.Leave,
        };
        WhenRegistered(add, update.RequestId, connection, () => groups.Tell(command, connection.Self));
    }

    /// <summary>Runs <paramref name="then"/> when every number is registered; otherwise answers NOT_FOUND naming the others.</summary>
    private void WhenRegistered(List<string> phones, string requestId, IConnection connection, Action then)
    {
        var uncached = phones.Where(p => !directory.TryGetCached(p, out _)).ToList();
        if (uncached.Count == 0)
        {
            then();
            return;
        }

        // Later frames wait for the answer, so this user's group requests keep their order.
        connection.Await(
            directory.FindManyAsync(uncached),
            found =>
            {
                var unknown = uncached.Where(p => !found.ContainsKey(p)).ToList();
                if (unknown.Count > 0)
                {
                    connection.Reply(ProtocolError.Of(ErrorCode.NotFound, "not registered: " + string.Join(", ", unknown), requestId));
                    return;
                }

                then();
            },
            failure => connection.Reply(Overload.Refusal(failure, "the user directory could not be read; try again", requestId)));
    }

    private static List<string>? ParsePhones(IEnumerable<string> texts, string requestId, IConnection connection)
    {
        var phones = new List<string>();
        foreach (var text in texts)
        {
            if (!PhoneNumber.TryParse(text, out var phone))
            {
                connection.Reply(ProtocolError.Of(ErrorCode.BadRequest, $"'{text}' is not an E.164 phone number", requestId));
                return null;
            }

            if (!phones.Contains(phone.Value))
            {
                phones.Add(phone.Value);
            }
        }

        return phones;
    }

    /// <summary>A group id as GROUP_INFO carries it; the address form g:&lt;id&gt; is accepted too.</summary>
    private static string? ParseGroupId(string text, string requestId, IConnection connection)
    {
        var id = text.StartsWith(ChatAddress.GroupPrefix, StringComparison.Ordinal) ? text[ChatAddress.GroupPrefix.Length..] : text;
        if (ChatAddress.IsValidGroupId(id))
        {
            return id;
        }

        connection.Reply(ProtocolError.Of(ErrorCode.BadRequest, $"'{text}' is not a group id", requestId));
        return null;
    }
}

public static class GroupsHostingExtensions
{
    /// <summary>Groups: sharded group actors, their frames, and SEND to g:&lt;id&gt;.</summary>
    public static IServiceCollection AddGroups(this IServiceCollection services, Config config)
    {
        services.AddSingleton(GroupSettings.Create(config));
        return services.AddNodeModule<GroupsModule>();
    }
}
