using System.Collections.Concurrent;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Client;

// Groups: GROUP_CREATE, GROUP_UPDATE and GROUP_GET, each answered by a GROUP_INFO carrying the
// request's request_id (queued for a change, seq 0 for a get), or an ERROR with ref = request_id.
public sealed partial class AkkaChatClient
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<GroupChanged>> _groupRequests = new(StringComparer.Ordinal);

    /// <summary>Creates a group with this user as its admin and <paramref name="members"/> (registered numbers).</summary>
    public Task<GroupChanged> CreateGroupAsync(string subject, IEnumerable<string> members, CancellationToken ct = default) =>
        GroupRequestAsync(id => new GroupCreate { RequestId = id, Subject = subject, Members = { members.Select(ParsePhone) } }, ct);

    /// <summary>The group's subject, members and admins (this user must be a member).</summary>
    public Task<GroupChanged> GetGroupAsync(string groupId, CancellationToken ct = default) =>
        GroupRequestAsync(id => new GroupGet { RequestId = id, GroupId = GroupIdOf(groupId) }, ct);

    /// <summary>Adds registered numbers (admins only).</summary>
    public Task<GroupChanged> AddMembersAsync(string groupId, IEnumerable<string> phones, CancellationToken ct = default) =>
        GroupRequestAsync(id => new GroupUpdate { RequestId = id, GroupId = GroupIdOf(groupId), Add = { phones.Select(ParsePhone) } }, ct);

    /// <summary>Removes members (admins only).</summary>
    public Task<GroupChanged> RemoveMembersAsync(string groupId, IEnumerable<string> phones, CancellationToken ct = default) =>
        GroupRequestAsync(id => new GroupUpdate { RequestId = id, GroupId = GroupIdOf(groupId), Remove = { phones.Select(ParsePhone) } }, ct);

    /// <summary>Makes members admins (admins only).</summary>
    public Task<GroupChanged> PromoteAsync(string groupId, IEnumerable<string> phones, CancellationToken ct = default) =>
        GroupRequestAsync(id => new GroupUpdate { RequestId = id, GroupId = GroupIdOf(groupId), Promote = { phones.Select(ParsePhone) } }, ct);

    /// <summary>Changes the subject (admins only).</summary>
    public Task<GroupChanged> SetSubjectAsync(string groupId, string subject, CancellationToken ct = default) =>
        GroupRequestAsync(id => new GroupUpdate { RequestId = id, GroupId = GroupIdOf(groupId), Subject = subject }, ct);

    /// <summary>Leaves the group (any member). The answer is the group without this user.</summary>
    public Task<GroupChanged> LeaveGroupAsync(string groupId, CancellationToken ct = default) =>
        GroupRequestAsync(id => new GroupUpdate { RequestId = id, GroupId = GroupIdOf(groupId), Leave = true }, ct);

    /// <summary>SEND a text to every other member of the group; see <see cref="SendAsync"/>.</summary>
    public Task<SendAck> SendToGroupAsync(string groupId, string text, string? clientMsgId = null, CancellationToken ct = default) =>
        SendTextAsync(ChatAddress.GroupPrefix + GroupIdOf(groupId), text, clientMsgId, ct);

    /// <summary>
    /// Writes the request (waiting through reconnects until it is written) and waits for its
    /// answer. A request written just before a connection is lost may be lost with it: cancel
    /// <paramref name="ct"/> to stop waiting. A change the node made is answered by a queued
    /// GROUP_INFO, which also arrives after a reconnect.
    /// </summary>
    private async Task<GroupChanged> GroupRequestAsync(Func<string, IMessage> build, CancellationToken ct)
    {
        var requestId = Guid.CreateVersion7().ToString("N");
        var message = build(requestId);
        var answer = new TaskCompletionSource<GroupChanged>(TaskCreationOptions.RunContinuationsAsynchronously);
        _groupRequests[requestId] = answer;
        try
        {
            while (true)
            {
                var connection = await WhenReadyAsync(ct);
                if (await connection.WriteAsync(message))
                {
                    break;
                }
            }

            await using (ct.Register(() => answer.TrySetCanceled(ct)))
            {
                return await answer.Task;
            }
        }
        finally
        {
            _groupRequests.TryRemove(requestId, out _);
        }
    }

    private void CompleteGroupRequest(GroupInfo info)
    {
        if (info.RequestId.Length > 0 && _groupRequests.TryRemove(info.RequestId, out var answer))
        {
            answer.TrySetResult(GroupChanged.From(info));
        }
    }

    private bool FailGroupRequest(Error error)
    {
        if (!_groupRequests.TryRemove(error.Ref, out var answer))
        {
            return false;
        }

        answer.TrySetException(new AkkaChatException(error.ErrorCode, error.Message, error.Ref));
        return true;
    }

    private static string GroupIdOf(string group) =>
        group.StartsWith(ChatAddress.GroupPrefix, StringComparison.Ordinal) ? group[ChatAddress.GroupPrefix.Length..] : group;
}
