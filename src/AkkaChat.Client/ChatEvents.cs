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

/// <summary>
/// A message for this user (DELIVER). <see cref="GroupId"/> is empty for a one-to-one message.
/// <see cref="Body"/> is the plaintext: decrypted when <see cref="Encrypted"/>, as it travelled otherwise.
/// </summary>
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
    /// <summary>
    /// The body arrived as an end-to-end envelope and was decrypted by this client. False: it came
    /// as plaintext (a sender with encryption off), or this client has encryption off.
    /// </summary>
    public bool Encrypted { get; init; }

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
/// A frame this version of the SDK does not model (a frame type added to the protocol after it),
/// with its protobuf payload. Queued ones (Seq above 0) are acknowledged like the rest.
/// </summary>
public sealed record FrameReceived(ulong Seq, FrameType Type, IMessage Payload) : ChatEvent(Seq);

/// <summary>A group member: <see cref="Admin"/> may add, remove and promote.</summary>
public sealed record GroupMemberInfo(string Phone, bool Admin);

/// <summary>
/// A group as GROUP_INFO describes it, at <see cref="Version"/>. Queued (Seq above 0) when its
/// membership or subject changed, to every member before and after the change; Seq 0 when it only
/// answers a <see cref="AkkaChatClient.GetGroupAsync"/>. <see cref="RequestId"/> is set on the copy
/// that answers this client's own request.
/// </summary>
public sealed record GroupChanged(ulong Seq, string RequestId, string GroupId, string Subject, IReadOnlyList<GroupMemberInfo> Members, ulong Version) : ChatEvent(Seq)
{
    /// <summary>The group address to send to: g:&lt;id&gt;.</summary>
    public string Address => ChatAddress.GroupPrefix + GroupId;

    public bool IsMember(string phone) => Members.Any(m => m.Phone == phone);

    public static GroupChanged From(AkkaChat.Protocol.Messages.GroupInfo info) =>
        new(info.Seq, info.RequestId, info.GroupId, info.Subject, info.Members.Select(m => new GroupMemberInfo(m.Phone, m.Admin)).ToArray(), info.Version);
}

/// <summary>
/// PRESENCE: <see cref="Phone"/> is online, or offline and last seen at <see cref="LastSeen"/> (null
/// when the node does not know: never seen, forgotten, or a number this user may not watch). Sent at
/// once for each number of <see cref="AkkaChatClient.SubscribePresenceAsync"/>, then on each change
/// while the session lasts. Not queued (Seq 0): nothing is kept for a client that is away.
/// </summary>
public sealed record PresenceChanged(string Phone, bool Online, DateTimeOffset? LastSeen) : ChatEvent(0UL)
{
    public static PresenceChanged From(AkkaChat.Protocol.Messages.Presence p) =>
        new(p.Phone, p.Online, p.LastSeenMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(p.LastSeenMs) : null);
}

/// <summary>
/// TYPING_NOTIFY: <see cref="From"/> is composing, recording a voice message, or paused, in the
/// one-to-one chat with this user (<see cref="GroupId"/> empty) or in a group. Not queued (Seq 0).
/// </summary>
public sealed record TypingChanged(string From, TypingState State, string GroupId) : ChatEvent(0UL);

/// <summary>
/// A 24-hour status of a mutual contact (STATUS_UPDATE, queued): text, or a medium by
/// <see cref="MediaId"/>. The node never sends one after <see cref="ExpiresAt"/>; an application
/// that shows statuses later hides them from then on (<see cref="IsExpired"/>).
/// </summary>
public sealed record StatusReceived(
    ulong Seq,
    string StatusId,
    string From,
    MessageKind Kind,
    ReadOnlyMemory<byte> Body,
    string MediaId,
    DateTimeOffset PostedAt,
    DateTimeOffset ExpiresAt) : ChatEvent(Seq)
{
    /// <summary>The body read as UTF-8, as TEXT statuses (and a medium's caption) carry it.</summary>
    public string Text => Encoding.UTF8.GetString(Body.Span);

    public bool IsExpired(DateTimeOffset now) => now >= ExpiresAt;

    public static StatusReceived Of(AkkaChat.Protocol.Messages.StatusUpdate s) =>
        new(s.Seq, s.StatusId, s.From, (MessageKind)s.Kind, s.Body.Memory, s.MediaId,
            DateTimeOffset.FromUnixTimeMilliseconds(s.PostedAtMs), DateTimeOffset.FromUnixTimeMilliseconds(s.ExpiresAtMs));
}
