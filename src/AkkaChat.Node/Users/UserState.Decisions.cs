using AkkaChat.Node.Contracts;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;

namespace AkkaChat.Node.Users;

/// <summary>The entity's rules that span parts: a command one part decides only when another allows it.</summary>
public sealed partial class UserState
{
    /// <summary>A SEND to this user: NOT_FOUND at once unless the number is registered; else the inbox decides.</summary>
    public Decision Decide(SubmitMessage command, string serverMsgId, long nowMs) =>
        Registered
            ? Queue.Decide(command, serverMsgId, nowMs)
            : Decision.Only(new ReplyNow(Error.Of(ErrorCode.NotFound, $"{Phone} is not registered", command.ClientMsgId)));

    /// <summary>A contact's status for this user: answered at once when the number is not registered (nobody to deliver to); else the inbox decides.</summary>
    public Decision Decide(Statuses.QueueStatus command, long nowMs) =>
        Registered
            ? Queue.Decide(command, Phone, nowMs)
            : Decision.Only(new Reply(new Statuses.StatusQueued { Phone = Phone, StatusId = command.Update.StatusId }));
}
