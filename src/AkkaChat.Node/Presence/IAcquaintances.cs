namespace AkkaChat.Node.Presence;

/// <summary>
/// Who has a chat or a group with whom, for the presence privacy rule (docs/presence.md): two
/// tables in the journal's database, not journaled. A chat between two users is recorded once per
/// pair (either sent the other a message the node accepted); group membership is each group's
/// current members, replaced whole by the group on every change.
/// </summary>
public interface IAcquaintances
{
    /// <summary>Records a chat between each pair (order within a pair does not matter); recording a pair again changes nothing.</summary>
    Task RecordChatsAsync(IReadOnlyCollection<(string A, string B)> pairs, CancellationToken cancel = default);

    /// <summary>Replaces the members of <paramref name="groupId"/> with <paramref name="members"/> (empty: the group has none).</summary>
    Task ReplaceGroupMembersAsync(string groupId, IReadOnlyCollection<string> members, CancellationToken cancel = default);

    /// <summary>Those of <paramref name="phones"/> that have a chat with <paramref name="owner"/> or are members of a group owner is a member of.</summary>
    Task<IReadOnlySet<string>> AcquaintedAsync(string owner, IReadOnlyCollection<string> phones, CancellationToken cancel = default);
}
