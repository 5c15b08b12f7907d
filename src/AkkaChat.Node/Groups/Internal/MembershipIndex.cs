using Akka.Event;
using AkkaChat.Node.Presence;

namespace AkkaChat.Node.Groups.Internal;

/// <summary>
/// Keeps one group's row set in <see cref="IAcquaintances"/> (who is in the group, for the presence
/// privacy rule) equal to its members: each publish replaces the rows with the members given, after
/// the previous publish has finished, so the last membership published is the one that stays. Not
/// journaled; the group publishes after each membership change is durable and after it recovers,
/// which repairs a publish lost to a crash. A failed publish is logged; the next one repairs it.
/// </summary>
internal sealed class MembershipIndex(IAcquaintances store, string groupId, ILoggingAdapter log)
{
    private Task _last = Task.CompletedTask;

    public void Publish(IReadOnlyCollection<string> members)
    {
        _last = _last.ContinueWith(_ => store.ReplaceGroupMembersAsync(groupId, members), TaskScheduler.Default).Unwrap();
        _last.ContinueWith(
            t => log.Warning(t.Exception?.GetBaseException(), "Group {0}: its members were not indexed for presence; repaired on its next change or recovery", groupId),
            TaskContinuationOptions.OnlyOnFaulted);
    }
}
