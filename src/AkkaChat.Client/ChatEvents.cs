using System.Text;
using AkkaChat.Protocol;
using Google.Protobuf;

namespace AkkaChat.Client;

/// <summary>
/// Something the node pushed to this session. <see cref="Seq"/> is the item's number in the user's
/// queue for queued items (DELIVER, RECEIPT, queued GROUP_INFO, STATUS_UPDATE), which the client
/// acknowledges once the application has moved past them; it is 0 for everything else.
/// </summary>
public abstract record ChatEvent(ulong Seq);

/// <summary>A message for this user (DELIVER). <see cref="GroupId"/> is empty for a one-to-one message.</summary>
public sealed record MessageReceived(
    ulong Seq,
    string ServerMsgId,
    string From,
    string GroupId,
    MessageKind Kind,
    ReadOnlyMemory<byte> Body,
    string MediaId,
    DateTimeOffset SentAt) : ChatEvent(Seq)
{
    /// <summary>The body read as UTF-8, as TEXT messages carry it.</summary>
    public string Text => Encoding.UTF8.GetString(Body.Span);
}

/// <summary>
/// A receipt for a message this user sent (RECEIPT): <see cref="By"/> got it (DELIVERED) or read
/// it (READ). <see cref="ClientMsgId"/> is the id the message was sent with.
/// </summary>
public sealed record ReceiptReceived(
    ulong Seq,
    string ServerMsgId,
    string ClientMsgId,
    ReceiptStatus Status,
    string By,
    DateTimeOffset At,
    string GroupId) : ChatEvent(Seq);

/// <summary>
/// An ERROR the node sent that is not the answer to a call of this client (those fail the call
/// instead) and does not end the connection (those are handled by the client).
/// </summary>
public sealed record ServerErrorReceived(ErrorCode Code, string Message, string Ref) : ChatEvent(0UL);

/// <summary>
/// A frame this version of the SDK does not model (GROUP_INFO, STATUS_UPDATE, TYPING_NOTIFY,
/// PRESENCE, ...), with its protobuf payload. Queued ones (Seq above 0) are acknowledged like the rest.
/// </summary>
public sealed record FrameReceived(ulong Seq, FrameType Type, IMessage Payload) : ChatEvent(Seq);
