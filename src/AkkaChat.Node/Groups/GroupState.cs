using AkkaChat.Node.Contracts;
using AkkaChat.Node.Groups.Contracts;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using ProtocolError = AkkaChat.Protocol.Messages.Error;

namespace AkkaChat.Node.Groups;

/// <summary>
/// What a command decides: the events to journal (empty: nothing changes) and the answer for the
/// sender, sent once the events are durable (null: the queued items are the answer).
/// </summary>
public sealed record GroupDecision(IReadOnlyList<Google.Protobuf.IMessage> Events, Google.Protobuf.IMessage? Reply)
{
    public static GroupDecision Answer(Google.Protobuf.IMessage reply) => new([], reply);

    public static GroupDecision Fail(ErrorCode code, string message, string reference) => Answer(ProtocolError.Of(code, message, reference));
}

/// <summary>
/// One group, free of actors and I/O: subject, members in the order they joined, admins, the
/// membership version, the messages still held for some member, and per member a numbered channel
/// of items (messages and GROUP_INFOs) for its queue. <c>Decide*</c> read the state and return a
/// <see cref="GroupDecision"/>; <see cref="Apply"/> folds one event in and returns its effects: the
/// items it put on members' channels, to be sent to their queues.
/// <para>Rules: the creator is admin; only admins add, remove, promote or change the subject
/// (others: FORBIDDEN); any member may leave; when the last admin leaves (or is removed), the
/// member who joined earliest among those left becomes admin. Every change sends a GROUP_INFO with
/// the new version to every member before and after it. A message goes to every member but its
/// sender, and is held until each recipient acknowledged it (or retention expires).</para>
/// </summary>
public sealed class GroupState
{
    // Every number that was ever a member, in join order (a re-added member moves to the end).
    private readonly List<MemberRecord> _records = new();
    private readonly Dictionary<string, MemberRecord> _byPhone = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HeldMessage> _messages = new(StringComparer.Ordinal);
    // Per member, the items its queue has not confirmed storing, by item number.
    private readonly Dictionary<string, SortedDictionary<ulong, QueueGroupItem>> _unstored = new(StringComparer.Ordinal);

    public GroupState(string groupId, GroupSettings settings)
    {
        GroupId = groupId;
        Settings = settings;
        Dedup = new DedupWindow(settings.DedupWindow);
    }

    public string GroupId { get; }

    public GroupSettings Settings { get; }

    public bool Exists { get; private set; }

    public string Subject { get; private set; } = string.Empty;

    /// <summary>Starts at 1 with the creation; one more with each change.</summary>
    public ulong Version { get; private set; }

    /// <summary>Current members, oldest first.</summary>
    public IEnumerable<MemberRecord> Members => _records.Where(r => r.Member);

    public int MemberCount => _records.Count(r => r.Member);

    public DedupWindow Dedup { get; }

    /// <summary>Messages whose body is still held (some recipient has not acknowledged it).</summary>
    public int HeldMessages => _messages.Count;

    public bool IsMember(string phone) => _byPhone.TryGetValue(phone, out var r) && r.Member;

    public bool IsAdmin(string phone) => _byPhone.TryGetValue(phone, out var r) && r.Member && r.Admin;

    /// <summary>Items not yet confirmed by members' queues, each member's in item order: what to (re)send.</summary>
    public IEnumerable<QueueGroupItem> Unstored => _unstored.Values.SelectMany(items => items.Values);

    public bool TryGetBody(string serverMsgId, out HeldMessage message) => _messages.TryGetValue(serverMsgId, out message!);

    // ---- decisions ----

    public GroupDecision DecideCreate(CreateGroup command, long nowMs)
    {
        if (Exists)
        {
            return GroupDecision.Fail(ErrorCode.BadRequest, $"group {GroupId} exists", command.RequestId);
        }

        var members = command.Members.Where(m => m != command.Creator).Distinct().ToList();
        if (members.Count + 1 > Settings.MaxMembers)
        {
            return GroupDecision.Fail(ErrorCode.BadRequest, $"a group has at most {Settings.MaxMembers} members", command.RequestId);
        }

        return new([new GroupCreated { Creator = command.Creator, Subject = command.Subject, Members = { members }, RequestId = command.RequestId, AtMs = nowMs }], null);
    }

    public GroupDecision DecideUpdate(UpdateGroup command, long nowMs)
    {
        if (Refuse(command.By, command.RequestId) is { } refused)
        {
            return refused;
        }

        var changed = new GroupChanged { By = command.By, RequestId = command.RequestId, AtMs = nowMs };
        var admin = IsAdmin(command.By);
        if (command.Add.Count > 0 || command.Remove.Count > 0 || command.Promote.Count > 0 || command.Subject.Length > 0)
        {
            if (!admin)
            {
                return GroupDecision.Fail(ErrorCode.Forbidden, "only an admin adds, removes, promotes or changes the subject", command.RequestId);
            }

            foreach (var phone in command.Promote.Distinct())
            {
                if (!IsMember(phone) && !command.Add.Contains(phone))
                {
                    return GroupDecision.Fail(ErrorCode.BadRequest, $"{phone} is not a member", command.RequestId);
                }
            }

            changed.Added.AddRange(command.Add.Distinct().Where(p => !IsMember(p)));
            changed.Removed.AddRange(command.Remove.Distinct().Where(IsMember));
            changed.Promoted.AddRange(command.Promote.Distinct().Where(p => !IsAdmin(p) && !changed.Removed.Contains(p)));
            if (command.Subject.Length > 0 && command.Subject != Subject)
            {
                changed.SubjectChanged = true;
                changed.Subject = command.Subject;
            }
        }

        if (command.Leave && !changed.Removed.Contains(command.By))
        {
            changed.Removed.Add(command.By);
        }

        var remaining = Members.Select(m => m.Phone).Where(p => !changed.Removed.Contains(p)).Concat(changed.Added).ToList();
        if (remaining.Count > Settings.MaxMembers)
        {
            return GroupDecision.Fail(ErrorCode.BadRequest, $"a group has at most {Settings.MaxMembers} members; this makes {remaining.Count}", command.RequestId);
        }

        if (changed.Added.Count == 0 && changed.Removed.Count == 0 && changed.Promoted.Count == 0 && !changed.SubjectChanged)
        {
            return GroupDecision.Answer(Info(seq: 0, command.RequestId)); // nothing changes: the group as it is
        }

        // The last admin leaves (or is removed): the member who joined earliest among those left takes over.
        var adminsLeft = Members.Any(m => m.Admin && !changed.Removed.Contains(m.Phone)) || changed.Promoted.Count > 0;
        if (!adminsLeft && remaining.Count > 0)
        {
            changed.Promoted.Add(remaining[0]);
        }

        return new([changed], null);
    }

    public GroupDecision DecideGet(GetGroup command) =>
        Refuse(command.By, command.RequestId) ?? GroupDecision.Answer(Info(seq: 0, command.RequestId));

    /// <summary>A member's message; a (sender, client_msg_id) seen before gets the first SEND_ACK again.</summary>
    public GroupDecision DecidePost(PostGroupMessage command, string serverMsgId, long nowMs)
    {
        if (Refuse(command.From, command.ClientMsgId) is { } refused)
        {
            return refused;
        }

        if (Dedup.TryGet(DedupWindow.MessageKey(command.From, command.ClientMsgId), out var seen))
        {
            return GroupDecision.Answer(new SendAck { ClientMsgId = command.ClientMsgId, ServerMsgId = seen.ServerMsgId, ServerTimeMs = seen.ServerTimeMs });
        }

        var posted = new GroupMessagePosted
        {
            ServerMsgId = serverMsgId,
            From = command.From,
            ClientMsgId = command.ClientMsgId,
            Kind = command.Kind,
            Body = command.Body,
            MediaId = command.MediaId,
            SentAtMs = nowMs,
        };
        return new([posted], new SendAck { ClientMsgId = command.ClientMsgId, ServerMsgId = serverMsgId, ServerTimeMs = nowMs });
    }

    /// <summary>Held messages every recipient's queue has stored and that are older than the retention age.</summary>
    public GroupMessagesExpired? DecideExpire(long nowMs, long maxAgeMs)
    {
        var before = nowMs - maxAgeMs;
        return _messages.Values.Any(m => m.Message.SentAtMs < before) ? new GroupMessagesExpired { BeforeMs = before } : null;
    }

    private GroupDecision? Refuse(string phone, string reference)
    {
        if (!Exists)
        {
            return GroupDecision.Fail(ErrorCode.NotFound, $"group {GroupId} does not exist", reference);
        }

        return IsMember(phone) ? null : GroupDecision.Fail(ErrorCode.Forbidden, $"{phone} is not a member of group {GroupId}", reference);
    }

    /// <summary>The group as GROUP_INFO: members oldest first.</summary>
    public GroupInfo Info(ulong seq, string requestId)
    {
        var info = new GroupInfo { Seq = seq, RequestId = requestId, GroupId = GroupId, Subject = Subject, Version = Version };
        info.Members.AddRange(Members.Select(m => new GroupMember { Phone = m.Phone, Admin = m.Admin }));
        return info;
    }

    // ---- applying events ----

    /// <summary>Folds <paramref name="event"/> in; returns the items it put on members' channels.</summary>
    public IReadOnlyList<QueueGroupItem> Apply(object @event)
    {
        switch (@event)
        {
            case GroupCreated created:
                Exists = true;
                Subject = created.Subject;
                Version = 1;
                Join(created.Creator).Admin = true;
                foreach (var phone in created.Members)
                {
                    Join(phone);
                }

                return Announce(Members.Select(m => m.Phone).ToList(), created.Creator, created.RequestId);
            case GroupChanged changed:
                var before = Members.Select(m => m.Phone).ToList();
                foreach (var phone in changed.Removed)
                {
                    var record = _byPhone[phone];
                    record.Member = false;
                    record.Admin = false;
                }

                foreach (var phone in changed.Added)
                {
                    Join(phone);
                }

                foreach (var phone in changed.Promoted)
                {
                    _byPhone[phone].Admin = true;
                }

                if (changed.SubjectChanged)
                {
                    Subject = changed.Subject;
                }

                Version++;
                return Announce(before.Union(Members.Select(m => m.Phone)).ToList(), changed.By, changed.RequestId);
            case GroupMessagePosted posted:
                Dedup.Add(new DedupEntry { Key = DedupWindow.MessageKey(posted.From, posted.ClientMsgId), ServerMsgId = posted.ServerMsgId, ServerTimeMs = posted.SentAtMs });
                var held = new HeldMessage { Message = posted };
                var items = new List<QueueGroupItem>();
                foreach (var member in Members.Where(m => m.Phone != posted.From))
                {
                    var itemNo = member.NextItemNo++;
                    held.Recipients.Add(new MemberProgress { Phone = member.Phone, UpTo = itemNo });
                    items.Add(Unstore(member.Phone, MessageItem(posted, member.Phone, itemNo, withBody: true)));
                }

                if (held.Recipients.Count > 0)
                {
                    _messages[posted.ServerMsgId] = held;
                }

                return items;
            case DeliveryProgressed progressed:
                foreach (var p in progressed.Stored)
                {
                    MarkStored(p.Phone, p.UpTo);
                }

                foreach (var p in progressed.Acknowledged)
                {
                    if (_byPhone.TryGetValue(p.Phone, out var record) && p.UpTo > record.AcknowledgedUpTo)
                    {
                        record.AcknowledgedUpTo = p.UpTo;
                    }
                }

                ReleaseAcknowledged();
                return [];
            case GroupMessagesExpired expired:
                foreach (var id in _messages.Values.Where(m => m.Message.SentAtMs < expired.BeforeMs && AllStored(m)).Select(m => m.Message.ServerMsgId).ToList())
                {
                    _messages.Remove(id);
                }

                return [];
            default:
                throw new ArgumentException($"{@event.GetType().Name} is not a GroupActor event", nameof(@event));
        }
    }

    private MemberRecord Join(string phone)
    {
        if (_byPhone.TryGetValue(phone, out var record))
        {
            _records.Remove(record); // re-added: joins anew, its channel's numbering goes on
        }
        else
        {
            record = new MemberRecord { Phone = phone, NextItemNo = 1 };
            _byPhone[phone] = record;
        }

        record.Member = true;
        record.Admin = false;
        _records.Add(record);
        return record;
    }

    /// <summary>A queued GROUP_INFO of the new version to each of <paramref name="recipients"/>; the requester's copy carries its request_id.</summary>
    private List<QueueGroupItem> Announce(List<string> recipients, string requester, string requestId)
    {
        var items = new List<QueueGroupItem>(recipients.Count);
        foreach (var phone in recipients)
        {
            var record = _byPhone[phone];
            var info = Info(seq: 0, phone == requester ? requestId : string.Empty);
            items.Add(Unstore(phone, new QueueGroupItem { Phone = phone, GroupId = GroupId, ItemNo = record.NextItemNo++, Info = info }));
        }

        return items;
    }

    private QueueGroupItem Unstore(string phone, QueueGroupItem item)
    {
        if (!_unstored.TryGetValue(phone, out var items))
        {
            _unstored[phone] = items = new SortedDictionary<ulong, QueueGroupItem>();
        }

        items[item.ItemNo] = item;
        return item;
    }

    private void MarkStored(string phone, ulong upTo)
    {
        if (!_byPhone.TryGetValue(phone, out var record) || upTo <= record.StoredUpTo)
        {
            return;
        }

        record.StoredUpTo = upTo;
        if (_unstored.TryGetValue(phone, out var items))
        {
            while (items.Count > 0 && items.First().Key <= upTo)
            {
                items.Remove(items.First().Key);
            }

            if (items.Count == 0)
            {
                _unstored.Remove(phone);
            }
        }
    }

    private void ReleaseAcknowledged()
    {
        foreach (var held in _messages.Values.ToList())
        {
            if (held.Recipients.All(r => _byPhone[r.Phone].AcknowledgedUpTo >= r.UpTo))
            {
                _messages.Remove(held.Message.ServerMsgId);
            }
        }
    }

    private bool AllStored(HeldMessage held) => held.Recipients.All(r => _byPhone[r.Phone].StoredUpTo >= r.UpTo);

    private QueueGroupItem MessageItem(GroupMessagePosted posted, string phone, ulong itemNo, bool withBody) => new()
    {
        Phone = phone,
        GroupId = GroupId,
        ItemNo = itemNo,
        ClientMsgId = posted.ClientMsgId,
        Deliver = new Deliver
        {
            ServerMsgId = posted.ServerMsgId,
            From = posted.From,
            GroupId = GroupId,
            Kind = posted.Kind,
            Body = withBody ? posted.Body : Google.Protobuf.ByteString.Empty,
            MediaId = posted.MediaId,
            SentAtMs = posted.SentAtMs,
        },
    };

    // ---- snapshots ----

    public GroupSnapshot ToSnapshot()
    {
        var snapshot = new GroupSnapshot { Exists = Exists, Subject = Subject, Version = Version };
        snapshot.Members.AddRange(_records);
        snapshot.Messages.AddRange(_messages.Values);
        foreach (var item in Unstored.Where(i => i.ItemCase == QueueGroupItem.ItemOneofCase.Info))
        {
            snapshot.Infos.Add(new PendingInfo { Phone = item.Phone, ItemNo = item.ItemNo, Info = item.Info });
        }

        snapshot.Dedup.AddRange(Dedup.Entries);
        return snapshot;
    }

    public static GroupState FromSnapshot(string groupId, GroupSettings settings, GroupSnapshot snapshot)
    {
        var state = new GroupState(groupId, settings) { Exists = snapshot.Exists, Subject = snapshot.Subject, Version = snapshot.Version };
        foreach (var record in snapshot.Members)
        {
            state._records.Add(record);
            state._byPhone[record.Phone] = record;
        }

        foreach (var held in snapshot.Messages)
        {
            state._messages[held.Message.ServerMsgId] = held;
            foreach (var r in held.Recipients.Where(r => state._byPhone[r.Phone].StoredUpTo < r.UpTo))
            {
                state.Unstore(r.Phone, state.MessageItem(held.Message, r.Phone, r.UpTo, withBody: true));
            }
        }

        foreach (var info in snapshot.Infos)
        {
            state.Unstore(info.Phone, new QueueGroupItem { Phone = info.Phone, GroupId = groupId, ItemNo = info.ItemNo, Info = info.Info });
        }

        foreach (var entry in snapshot.Dedup)
        {
            state.Dedup.Add(entry);
        }

        return state;
    }
}
