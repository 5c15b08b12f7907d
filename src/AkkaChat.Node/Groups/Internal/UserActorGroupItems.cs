using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Diagnostics;
using AkkaChat.Node.Groups;
using AkkaChat.Node.Groups.Contracts;

// The groups module's part of a member's user actor: stores a group's items in its queue (once,
// in the group's order), confirms them to the group, tells the group what the member acknowledged
// (so the group can drop a body every member has), and fetches bodies it does not hold.
namespace AkkaChat.Node.Users;

public sealed partial class UserActor
{
    // Group messages whose bodies were asked for and not yet answered, by group.
    private HashSet<string>? _fetchingBodiesFrom;
    private IActorRef? _groups;

    private IActorRef Groups => _groups ??= ClusterSharding.Get(Context.System).ShardRegion(GroupShard.TypeName);

    private void HandleQueueGroupItem(QueueGroupItem command)
    {
        var group = Sender;
        if (_state.Queue.DecideQueueGroupItem(command, NowMs) is not { } queued)
        {
            // A resend of a stored item, or one past a gap: say how far this queue is (after what is being written).
            var stored = new GroupItemsStored { GroupId = command.GroupId, Phone = _phone, UpTo = _state.Queue.GroupItemsStored(command.GroupId) };
            DeferAsync(stored, s => group.Tell(s));
            return;
        }

        var body = command.ItemCase == QueueGroupItem.ItemOneofCase.Deliver ? command.Deliver.Body : null;
        var seq = queued.Item.Seq;
        PersistEvent(queued, e =>
        {
            _durableUpTo = Math.Max(_durableUpTo, e.Item.Seq);
            NodeMetrics.Get(Context.System).MessagesQueued.Add(1);
            group.Tell(new GroupItemsStored { GroupId = command.GroupId, Phone = _phone, UpTo = e.Item.GroupItemNo });
            Push();
        });
        if (body is not null)
        {
            _state.Queue.AttachGroupBody(seq, body);
        }
    }

    /// <summary>Asks each group for the bodies of its queued messages this queue lacks (once per group until answered).</summary>
    private void FetchGroupBodies()
    {
        var wanted = new Dictionary<string, FetchGroupBodies>(StringComparer.Ordinal);
        // The items the next pushes reach: from the first not yet pushed, one window of them.
        foreach (var item in _state.Inbox.Items.SkipWhile(i => i.Seq <= _deliveredUpTo).Take(_settings.DeliveryWindow))
        {
            if (Inbox.InboxState.LacksGroupBody(item) && !(_fetchingBodiesFrom?.Contains(item.GroupId) ?? false))
            {
                if (!wanted.TryGetValue(item.GroupId, out var fetch))
                {
                    wanted[item.GroupId] = fetch = new FetchGroupBodies { GroupId = item.GroupId, Phone = _phone };
                }

                fetch.ServerMsgIds.Add(item.Deliver.ServerMsgId);
            }
        }

        foreach (var fetch in wanted.Values)
        {
            (_fetchingBodiesFrom ??= new HashSet<string>(StringComparer.Ordinal)).Add(fetch.GroupId);
            Groups.Tell(fetch);
        }
    }

    private void HandleGroupBodies(GroupBodies answer)
    {
        _fetchingBodiesFrom?.Remove(answer.GroupId);
        var bodies = answer.Bodies.ToDictionary(b => b.ServerMsgId, StringComparer.Ordinal);
        foreach (var item in _state.Inbox.Items)
        {
            if (item.GroupId == answer.GroupId && Inbox.InboxState.LacksGroupBody(item) && bodies.TryGetValue(item.Deliver.ServerMsgId, out var body))
            {
                if (body.Missing)
                {
                    Log.Warning("User {0}: group {1} no longer holds message {2} (retention); it is delivered without its body", _phone, answer.GroupId, item.Deliver.ServerMsgId);
                }

                _state.Queue.AttachGroupBody(item.Seq, body.Body);
            }
        }

        Push();
    }

    private void NotifyGroupsAcknowledged(Dictionary<string, ulong> groupItems)
    {
        foreach (var (groupId, upTo) in groupItems)
        {
            // Not journaled here: a lost notice is covered by the member's next ACK (cumulative), or by the group's retention.
            Groups.Tell(new GroupItemsAcknowledged { GroupId = groupId, Phone = _phone, UpTo = upTo });
        }
    }
}
