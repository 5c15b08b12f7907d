using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using AkkaChat.Node.Diagnostics;
using AkkaChat.Node.Groups.Contracts;
using AkkaChat.Node.Groups.Internal;
using AkkaChat.Node.Presence;
using Google.Protobuf;

namespace AkkaChat.Node.Groups;

/// <summary>
/// One group, placed by cluster sharding by its id. The rules live in <see cref="GroupState"/>;
/// this actor journals, applies, answers and sends each member's items to the member's queue (the
/// user shard), resending what a queue has not confirmed (on a timer and after recovery), so a
/// group that moves to another node mid-fan-out still reaches every member; the members' queues
/// store each item once, in the group's order.
/// <para>Events are applied when decided and journaled with PersistAsync (many commands' events go
/// to the journal together); answers and items leave only once their event is durable. A failed
/// or rejected write stops or restarts the actor, which then recovers from the journal.</para>
/// </summary>
public sealed class GroupActor : UntypedPersistentActor, IWithTimers
{
    private const int MaxProgressBatch = 256;
    // Items resent per member per tick: its queue stores them in order, so later ones wait anyway.
    private const int MaxResendPerMember = 64;

    private readonly string _groupId;
    private readonly GroupSettings _settings;
    private readonly IActorRef _users;
    private readonly IActorRef _presence;
    private readonly MembershipIndex _index;
    private readonly TimeProvider _clock;
    private GroupState _state;
    private int _pendingWrites;
    private int _eventsSinceSnapshot;
    private bool _passivating;
    private Dictionary<string, ulong>? _stored;
    private Dictionary<string, ulong>? _acknowledged;
    private Dictionary<object, Action<Exception?>>? _onWriteFailed;
    private Exception? _writeFailure;

    /// <param name="presence">The presence shard region, which relays group typing to members' sessions (<see cref="ActorRefs.Nobody"/> without the presence module).</param>
    /// <param name="acquaintances">Where the group's members are indexed for presence's privacy rule.</param>
    public GroupActor(string groupId, GroupSettings settings, IActorRef users, IActorRef presence, IAcquaintances acquaintances, TimeProvider clock)
    {
        _groupId = groupId;
        _settings = settings;
        _users = users;
        _presence = presence;
        _index = new MembershipIndex(acquaintances, groupId, Context.GetLogger());
        _clock = clock;
        _state = new GroupState(groupId, settings);
    }

    public override string PersistenceId => "group-" + _groupId;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string groupId, GroupSettings settings, IActorRef users, IActorRef presence, IAcquaintances acquaintances, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new GroupActor(groupId, settings, users, presence, acquaintances, clock));

    private long NowMs => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer offer:
                _state = GroupState.FromSnapshot(_groupId, _settings, (GroupSnapshot)offer.Snapshot);
                break;
            case RecoveryCompleted:
                if (_state.DecideExpire(NowMs, (long)_settings.RetentionMaxAge.TotalMilliseconds) is { } expired)
                {
                    PersistEvent(expired, onDurable: null);
                }

                if (_state.Exists)
                {
                    PublishMembers();
                }

                Resend();
                Context.SetReceiveTimeout(_settings.PassivateAfter);
                break;
            case IMessage @event:
                _state.Apply(@event);
                _eventsSinceSnapshot++;
                break;
        }
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case CreateGroup create:
                Execute(_state.DecideCreate(create, NowMs), create.RequestId);
                break;
            case UpdateGroup update:
                Execute(_state.DecideUpdate(update, NowMs), update.RequestId);
                break;
            case GetGroup get:
                Execute(_state.DecideGet(get), get.RequestId);
                break;
            case PostGroupMessage post:
                Execute(_state.DecidePost(post, Guid.CreateVersion7().ToString("N"), NowMs), post.ClientMsgId);
                break;
            case GroupTyping typing:
                RelayGroupTyping(typing);
                break;
            case GroupItemsStored stored:
                Note(ref _stored, stored.Phone, stored.UpTo);
                break;
            case GroupItemsAcknowledged acknowledged:
                Note(ref _acknowledged, acknowledged.Phone, acknowledged.UpTo);
                break;
            case FetchGroupBodies fetch:
                AnswerFetch(fetch);
                break;
            case JournalProgress:
                FlushProgress();
                break;
            case ResendTick:
                Resend();
                break;
            case ReceiveTimeout:
                Passivate();
                break;
            case StopGroup:
                Context.Stop(Self);
                break;
            case SaveSnapshotSuccess saved:
                DeleteMessages(saved.Metadata.SequenceNr);
                DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
                if (_passivating)
                {
                    Context.Parent.Tell(new Passivate(StopGroup.Instance));
                }

                break;
            case SaveSnapshotFailure failure:
                Log.Warning(failure.Cause, "Group {0}: snapshot failed; the journal is kept", _groupId);
                break;
            case DeleteMessagesSuccess or DeleteSnapshotsSuccess or DeleteMessagesFailure or DeleteSnapshotsFailure:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>Journals the decision's events, then answers the sender and sends the members' items.</summary>
    private void Execute(GroupDecision decision, string reference)
    {
        var replyTo = Sender;
        if (decision.Events.Count == 0)
        {
            if (decision.Reply is not null)
            {
                // After whatever is still being written, so answers keep the order of the commands.
                DeferAsync(decision.Reply, r => replyTo.Tell(r));
            }

            return;
        }

        for (var i = 0; i < decision.Events.Count; i++)
        {
            var last = i == decision.Events.Count - 1;
            PersistEvent(
                decision.Events[i],
                last && decision.Reply is { } reply ? () => replyTo.Tell(reply) : null,
                cause => replyTo.Tell(Overload.Refusal(cause, "not stored; try again", reference)));
        }
    }

    private void PersistEvent(IMessage @event, Action? onDurable, Action<Exception?>? onFailed = null)
    {
        if (onFailed is not null)
        {
            (_onWriteFailed ??= new Dictionary<object, Action<Exception?>>(ReferenceEqualityComparer.Instance)).Add(@event, onFailed);
        }

        var items = _state.Apply(@event);
        _pendingWrites++;
        _eventsSinceSnapshot++;
        PersistAsync(@event, e =>
        {
            _onWriteFailed?.Remove(e);
            _pendingWrites--;
            onDurable?.Invoke();
            if (e is GroupCreated || (e is GroupChanged changed && changed.Added.Count + changed.Removed.Count > 0))
            {
                PublishMembers();
            }

            foreach (var item in items)
            {
                _users.Tell(item);
            }

            if (items.Count > 0)
            {
                StartResendTimer();
            }

            MaybeSnapshot();
        });
    }

    /// <summary>
    /// A member's typing goes to every other member's presence entity, which writes TYPING_NOTIFY
    /// with group_id to the member's session if one is open. Nothing is journaled. A non-member's is
    /// dropped; so is typing to a group that does not exist, whose entity then stops at once (its
    /// cost was one read of an empty journal).
    /// </summary>
    private void RelayGroupTyping(GroupTyping typing)
    {
        if (!_state.Exists)
        {
            if (LastSequenceNr == 0 && _pendingWrites == 0)
            {
                Context.Parent.Tell(new Passivate(StopGroup.Instance));
            }

            return;
        }

        if (!_state.IsMember(typing.From))
        {
            return;
        }

        foreach (var member in _state.Members)
        {
            if (member.Phone != typing.From)
            {
                _presence.Tell(new RelayTyping { Phone = member.Phone, From = typing.From, State = typing.State, GroupId = _groupId });
            }
        }
    }

    private void PublishMembers() => _index.Publish(_state.Members.Select(m => m.Phone).ToList());

    private void Note(ref Dictionary<string, ulong>? progress, string phone, ulong upTo)
    {
        progress ??= new Dictionary<string, ulong>(StringComparer.Ordinal);
        progress[phone] = Math.Max(upTo, progress.GetValueOrDefault(phone));
        if (_settings.ProgressJournalDelay == TimeSpan.Zero || (_stored?.Count ?? 0) + (_acknowledged?.Count ?? 0) >= MaxProgressBatch)
        {
            FlushProgress();
        }
        else if (!Timers.IsTimerActive(JournalProgress.Instance))
        {
            Timers.StartSingleTimer(JournalProgress.Instance, JournalProgress.Instance, _settings.ProgressJournalDelay);
        }
    }

    /// <summary>Journals the members' progress noted since the last batch as one event.</summary>
    private void FlushProgress()
    {
        Timers.Cancel(JournalProgress.Instance);
        var progressed = new DeliveryProgressed();
        foreach (var (phone, upTo) in _stored ?? [])
        {
            progressed.Stored.Add(new MemberProgress { Phone = phone, UpTo = upTo });
        }

        foreach (var (phone, upTo) in _acknowledged ?? [])
        {
            progressed.Acknowledged.Add(new MemberProgress { Phone = phone, UpTo = upTo });
        }

        _stored = _acknowledged = null;
        if (progressed.Stored.Count + progressed.Acknowledged.Count > 0)
        {
            PersistEvent(progressed, onDurable: null);
        }
    }

    private void AnswerFetch(FetchGroupBodies fetch)
    {
        var answer = new GroupBodies { Phone = fetch.Phone, GroupId = _groupId };
        foreach (var id in fetch.ServerMsgIds)
        {
            answer.Bodies.Add(_state.TryGetBody(id, out var held)
                ? new GroupBody { ServerMsgId = id, Body = held.Message.Body }
                : new GroupBody { ServerMsgId = id, Missing = true });
        }

        Sender.Tell(answer);
    }

    /// <summary>Sends every item a member's queue has not confirmed, each member's in order.</summary>
    private void Resend()
    {
        var any = false;
        foreach (var perMember in _state.Unstored.GroupBy(i => i.Phone))
        {
            foreach (var item in perMember.Take(MaxResendPerMember))
            {
                _users.Tell(item);
                any = true;
            }
        }

        if (any)
        {
            StartResendTimer();
        }
    }

    private void StartResendTimer()
    {
        if (!Timers.IsTimerActive(ResendTick.Instance))
        {
            Timers.StartSingleTimer(ResendTick.Instance, ResendTick.Instance, _settings.ResendInterval);
        }
    }

    private void MaybeSnapshot()
    {
        if (_pendingWrites == 0 && _eventsSinceSnapshot >= Math.Max(_settings.SnapshotAfter, _state.HeldMessages))
        {
            _eventsSinceSnapshot = 0;
            SaveSnapshot(_state.ToSnapshot());
        }
    }

    private void Passivate()
    {
        if (_pendingWrites > 0 || _passivating || _state.Unstored.Any() || _stored is not null || _acknowledged is not null)
        {
            return;
        }

        _passivating = true;
        Context.SetReceiveTimeout(null);
        if (_eventsSinceSnapshot > 0 && LastSequenceNr > 0)
        {
            _eventsSinceSnapshot = 0;
            SaveSnapshot(_state.ToSnapshot()); // passivates once saved
        }
        else
        {
            Context.Parent.Tell(new Passivate(StopGroup.Instance));
        }
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        NotifyWriteFailed(@event, cause);
        if (Overload.IsCause(cause))
        {
            OverloadLog.Get(Context.System).Note($"journal write of {PersistenceId} failed: {cause.Message}");
            return; // Akka.Persistence stops the actor all the same; one rate-limited warning instead of an error line per message
        }

        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        NotifyWriteFailed(@event, cause);
        base.OnPersistRejected(cause, @event, sequenceNr);
        throw new InvalidOperationException($"the journal rejected event {sequenceNr} of {PersistenceId}; recovering", cause);
    }

    private void NotifyWriteFailed(object @event, Exception cause)
    {
        _writeFailure = cause;
        if (_onWriteFailed is not null && _onWriteFailed.Remove(@event, out var onFailed))
        {
            onFailed(cause);
        }
    }

    protected override void PostStop()
    {
        foreach (var onFailed in _onWriteFailed?.Values ?? (IEnumerable<Action<Exception?>>)[])
        {
            onFailed(_writeFailure);
        }

        _onWriteFailed?.Clear();
        base.PostStop();
    }

    private sealed class JournalProgress
    {
        public static readonly JournalProgress Instance = new();
    }

    private sealed class ResendTick
    {
        public static readonly ResendTick Instance = new();
    }

    private sealed class StopGroup
    {
        public static readonly StopGroup Instance = new();
    }
}
