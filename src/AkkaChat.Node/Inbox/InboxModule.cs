using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Modules;
using AkkaChat.Node.Registration;
using AkkaChat.Node.UserDirectory;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.Node.Diagnostics;
using ProtocolError = AkkaChat.Protocol.Messages.Error;

namespace AkkaChat.Node.Inbox;

/// <summary>
/// One-to-one messaging: SEND (queued in the recipient's inbox, SEND_ACK once durable), ACK (the
/// client has items up to a seq) and READ (read receipts to the senders). Logged in only.
/// <para>A SEND to a number the user directory does not know is answered NOT_FOUND without
/// recovering that number's journal.</para>
/// </summary>
public sealed class InboxModule(InboxSettings settings, IUserDirectory directory) : INodeModule
{
    /// <summary>With the inbox part of the node's settings.</summary>
    public InboxModule(AkkaChatSettings settings, IUserDirectory directory)
        : this(settings.Inbox, directory)
    {
    }

    public string Name => "inbox";

    public void MapFrames(FrameRoutes.Builder routes, IReadOnlyActorRegistry registry)
    {
        var users = registry.Get<UserShard>();
        var groups = registry.TryGet<Groups.GroupShard>(out var region) ? region : null;
        var chats = registry.TryGet<Presence.ChatLog>(out var log) ? log : Akka.Actor.ActorRefs.Nobody;
        routes
            .Serve<Send>(ConnectionPhase.LoggedIn, (send, connection) => HandleSend(send, connection, users, groups, chats))
            .Serve<Ack>(ConnectionPhase.LoggedIn, (ack, connection) =>
            {
                if (ack.UpToSeq > 0)
                {
                    users.Tell(new AcknowledgeItems { Phone = connection.Phone, UpToSeq = ack.UpToSeq }, connection.Self);
                }
            })
            .Serve<Read>(ConnectionPhase.LoggedIn, (read, connection) =>
                users.Tell(new MarkRead { Phone = connection.Phone, From = PhoneNumber.Parse(read.From).Value, ServerMsgIds = { read.ServerMsgIds } }, connection.Self));
    }

    private void HandleSend(Send send, IConnection connection, Akka.Actor.IActorRef users, Akka.Actor.IActorRef? groups, Akka.Actor.IActorRef chats)
    {
        if (send.ClientMsgId.Length == 0 || send.ClientMsgId.Length > settings.MaxClientMsgIdLength)
        {
            connection.Reply(ProtocolError.Of(ErrorCode.BadRequest, $"client_msg_id must be 1 to {settings.MaxClientMsgIdLength} characters", send.ClientMsgId));
            return;
        }

        ChatAddress to;
        try
        {
            to = ChatAddress.Parse(send.To);
        }
        catch (ProtocolException e)
        {
            connection.Reply(ProtocolError.Of(e.Code, e.Message, send.ClientMsgId));
            return;
        }

        if (to.IsGroup && groups is null)
        {
            connection.Reply(ProtocolError.Of(ErrorCode.NotFound, $"group {to.GroupId} does not exist", send.ClientMsgId));
            return;
        }

        if (send.Body.Length > settings.MaxBodyBytes)
        {
            connection.Reply(ProtocolError.Of(ErrorCode.TooLarge, $"body is {send.Body.Length} bytes; at most {settings.MaxBodyBytes}", send.ClientMsgId));
            return;
        }

        if (!connection.TryTakeSendBudget())
        {
            connection.Reply(ProtocolError.Of(ErrorCode.RateLimited, $"over {connection.Runtime.SendPerSecond}/s", send.ClientMsgId));
            return;
        }

        // 1 TEXT to 7 CONTACT; 3 AUDIO with a media_id is a voice message. DELIVER carries the kind as sent.
        if (!Enum.IsDefined((MessageKind)send.Kind))
        {
            connection.Reply(ProtocolError.Of(ErrorCode.BadRequest, $"kind {send.Kind} is not one of 1 TEXT to 7 CONTACT", send.ClientMsgId));
            return;
        }

        if (to.IsGroup)
        {
            connection.AwaitAnswer(send.ClientMsgId);
            Groups.GroupsModule.Post(groups!, send, to.GroupId, connection); // the groups module's hook
            return;
        }

        var submit = new SubmitMessage
        {
            Phone = to.Value,
            From = connection.Phone,
            ClientMsgId = send.ClientMsgId,
            Kind = send.Kind,
            Body = send.Body,
            MediaId = send.MediaId,
        };
        // The pair now has a chat, which lets each watch the other's presence (the presence module's hook).
        var chat = new Presence.ChatSeen(connection.Phone!, to.Value);
        if (directory.TryGetCached(to.Value, out _))
        {
            connection.AwaitAnswer(send.ClientMsgId);
            users.Tell(submit, connection.Self);
            chats.Tell(chat, Akka.Actor.ActorRefs.NoSender);
            return;
        }

        // Later frames wait for the answer, so this sender's messages keep their order.
        connection.Await(
            directory.FindAsync(to.Value),
            entry =>
            {
                if (entry is null)
                {
                    connection.Reply(ProtocolError.Of(ErrorCode.NotFound, $"{to.Value} is not registered", send.ClientMsgId));
                    return;
                }

                RegistrationModule.ConfirmIfPending(entry, users, connection);
                connection.AwaitAnswer(send.ClientMsgId);
                users.Tell(submit, connection.Self);
                chats.Tell(chat, Akka.Actor.ActorRefs.NoSender);
            },
            failure => connection.Reply(Overload.Refusal(failure, "the message was not stored; send it again", send.ClientMsgId)));
    }
}

public static class InboxHostingExtensions
{
    /// <summary>One-to-one messages: the user's inbox, delivery and receipts.</summary>
    public static IServiceCollection AddInbox(this IServiceCollection services)
    {
        services.AddSingleton(provider => provider.GetRequiredService<AkkaChatSettings>().Inbox);
        return services.AddNodeModule(provider => new InboxModule(provider.GetRequiredService<InboxSettings>(), provider.GetRequiredService<IUserDirectory>()));
    }
}
