using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Contacts;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Modules;
using AkkaChat.Node.Statuses.Internal;
using AkkaChat.Node.UserDirectory;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Microsoft.Extensions.DependencyInjection;
using AkkaChat.Node.Diagnostics;
using ProtocolError = AkkaChat.Protocol.Messages.Error;

// The namespace is Statuses, not Status: a namespace AkkaChat.Node.Status would hide Akka's
// Status.Failure / Status.Success from every file of the node.
namespace AkkaChat.Node.Statuses;

/// <summary>
/// STATUS_POST, logged in only: the status is stored once (body included), queued as a
/// STATUS_UPDATE without body in the inbox of every registered mutual contact of the poster
/// (numbers in the poster's address book whose own address book holds the poster), and answered
/// SEND_ACK{client_msg_id = request_id, server_msg_id = status id} once every one of those queues
/// holds it. It expires <see cref="StatusSettings.Ttl"/> after posting and is never pushed after.
/// (poster, request_id) is an idempotency key, so an answer lost or an ERROR{INTERNAL} can be
/// retried without a second status. See docs/status.md.
/// </summary>
public sealed class StatusModule(AkkaChatSettings node, StatusSettings settings, IStatusStore store, IAddressBooks books, IUserDirectory directory, TimeProvider clock) : INodeModule
{
    public string Name => "status";

    public void StartActors(ActorSystem system, IActorRegistry registry) =>
        system.ActorOf(StatusCleaner.Props(store, settings, clock), "status-cleaner");

    public void MapFrames(FrameRoutes.Builder routes, IReadOnlyActorRegistry registry)
    {
        var users = registry.Get<UserShard>();
        routes.Serve<StatusPost>(ConnectionPhase.LoggedIn, (post, connection) => HandlePost(post, connection, users));
    }

    private void HandlePost(StatusPost post, IConnection connection, IActorRef users)
    {
        if (post.RequestId.Length == 0 || post.RequestId.Length > node.MaxClientMsgIdLength)
        {
            connection.Reply(ProtocolError.Of(ErrorCode.BadRequest, $"request_id must be 1 to {node.MaxClientMsgIdLength} characters", post.RequestId));
            return;
        }

        if (!Enum.IsDefined((MessageKind)post.Kind))
        {
            connection.Reply(ProtocolError.Of(ErrorCode.BadRequest, $"kind {post.Kind} is not one of 1 TEXT to 7 CONTACT", post.RequestId));
            return;
        }

        if (post.Body.IsEmpty && post.MediaId.Length == 0)
        {
            connection.Reply(ProtocolError.Of(ErrorCode.BadRequest, "a status carries a body or a media_id", post.RequestId));
            return;
        }

        if (post.Body.Length > node.MaxBodyBytes)
        {
            connection.Reply(ProtocolError.Of(ErrorCode.TooLarge, $"body is {post.Body.Length} bytes; at most {node.MaxBodyBytes}", post.RequestId));
            return;
        }

        if (!connection.TryTakeSendBudget())
        {
            connection.Reply(ProtocolError.Of(ErrorCode.RateLimited, $"over {connection.Runtime.SendPerSecond}/s", post.RequestId));
            return;
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var status = new PostedStatus(
            Guid.CreateVersion7().ToString("N"), connection.Phone!, post.RequestId, post.Kind, post.Body, post.MediaId,
            now, now + (long)settings.Ttl.TotalMilliseconds);
        connection.Await(
            PostAsync(status, users),
            stored => connection.Write(new SendAck { ClientMsgId = post.RequestId, ServerMsgId = stored.StatusId, ServerTimeMs = stored.PostedAtMs }),
            failure => connection.Reply(Overload.Refusal(failure, "the status did not reach every contact; post it again with the same request_id", post.RequestId)));
    }

    /// <summary>Stores the status, then queues it for each registered mutual contact and waits until every queue holds it.</summary>
    private async Task<PostedStatus> PostAsync(PostedStatus status, IActorRef users)
    {
        var stored = await store.SaveAsync(status).ConfigureAwait(false);
        var mutual = await books.MutualAsync(stored.Poster).ConfigureAwait(false);
        var registered = await directory.FindManyAsync(mutual).ConfigureAwait(false);
        var update = new StatusUpdate
        {
            From = stored.Poster,
            StatusId = stored.StatusId,
            Kind = stored.Kind,
            MediaId = stored.MediaId,
            PostedAtMs = stored.PostedAtMs,
            ExpiresAtMs = stored.ExpiresAtMs,
        };
        var queued = new List<Task<StatusQueued>>(registered.Count);
        foreach (var entry in registered.Values)
        {
            // An unconfirmed entry is resolved by its user actor, which also answers QueueStatus
            // at once when its journal does not hold the registration.
            if (!entry.Confirmed)
            {
                users.Tell(new Contracts.ConfirmDirectoryEntry { Phone = entry.Phone }, ActorRefs.NoSender);
            }

            queued.Add(users.Ask<StatusQueued>(new QueueStatus { Phone = entry.Phone, Update = update }, settings.FanoutTimeout));
        }

        await Task.WhenAll(queued).ConfigureAwait(false);
        return stored;
    }

    /// <summary>The status table in the journal's database of <paramref name="node"/>.</summary>
    public static IStatusStore Open(AkkaChatSettings node, StatusSettings settings) =>
        node.Storage == StorageProvider.Sqlite
            ? SqlStatusStore.Sqlite(NodeConfig.SqliteFile(node), settings.CacheSize)
            : SqlStatusStore.PostgreSql(node.StorageConnectionString, settings.CacheSize);
}

public static class StatusHostingExtensions
{
    /// <summary>24-hour statuses: STATUS_POST, fanned out to mutual contacts as queued STATUS_UPDATE.</summary>
    public static IServiceCollection AddStatus(this IServiceCollection services, Config config)
    {
        var settings = StatusSettings.Create(config);
        services.AddSingleton(settings);
        services.AddSingleton(provider => StatusModule.Open(provider.GetRequiredService<AkkaChatSettings>(), settings));
        return services.AddNodeModule<StatusModule>();
    }
}
