using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using AkkaChat.Node.Auth;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Diagnostics;
using AkkaChat.Node.Inbox;
using AkkaChat.Node.Registration;
using AkkaChat.Node.UserDirectory;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Statuses;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;
using Error = AkkaChat.Protocol.Messages.Error;

namespace AkkaChat.Node.Users;

/// <summary>
/// One user (a phone number), placed by cluster sharding. Owns the user's registration, device
/// tokens and queue of items, journals every change before it is acknowledged, pushes queued items
/// to the user's one session in seq order, and owes senders their receipts through an outbox.
/// The rules live in <see cref="UserState"/>; this actor persists, applies, pushes and snapshots.
/// <para>Writes are batched: an event is applied to the state when it is decided, so the next
/// command decides on it at once, and journaled with PersistAsync, so commands keep coming while
/// it is written and the events of many commands go to the journal together. Everything the
/// outside sees (SEND_ACK, pushed items, receipts, AUTH_OK) waits for its event to be durable.
/// If the journal fails or rejects a write, the actor stops or restarts and recovers from the
/// journal, so state never outlives a lost write.</para>
/// </summary>
public sealed partial class UserActor : UntypedPersistentActor, IWithTimers
{
    private readonly string _phone;
    private readonly AkkaChatSettings _settings;
    private readonly IActorRef _users;
    private readonly ISmsSender _sms;
    private readonly IUserDirectory _directory;
    private readonly TimeProvider _clock;

    private UserState _state;
    private VerificationCode? _code;
    private IActorRef? _session;
    // When the attached session logged in (its AUTH_OK.server_time_ms): orders resumes only for a
    // journal without SessionLoggedIn (older nodes); otherwise the journal names the latest login.
    private long _sessionLoggedInAtMs;
    // Highest seq pushed to the current session.
    private ulong _deliveredUpTo;
    // Highest seq the session's socket took (ItemsWritten) or it acknowledged: pushing stays at most
    // `window` items past it, so a socket without demand holds back the queue (a bound on memory per
    // session) while a client that reads sees every item without acknowledging any.
    private ulong _writtenUpTo;
    // Highest seq this incarnation pushed to any session of the user: what an ACK may cover.
    private ulong _pushedUpTo;
    // Highest seq whose item is in the journal: only durable items are pushed.
    private ulong _durableUpTo;
    private int _pendingWrites;
    // What to do when an event in flight is not stored, by event (reference): answer its sender.
    private Dictionary<object, Action<Exception?>>? _onWriteFailed;

    /// <summary>Why the last journal write failed: the cause told to writes still in flight when the actor stops.</summary>
    private Exception? _writeFailure;
    // Outbox ids whose receipts the senders' queues confirmed, waiting to be journaled together.
    private HashSet<ulong>? _confirmed;
    private int _eventsSinceSnapshot;
    private bool _passivating;
    // The journal holds the registration (not only the state, which applies events before they are durable).
    private bool _registrationDurable;

    public UserActor(string phone, AkkaChatSettings settings, IActorRef users, ISmsSender sms, IUserDirectory directory, TimeProvider clock, IStatusStore? statuses = null)
    {
        _statuses = statuses;
        _directory = directory;
        _phone = phone;
        _settings = settings;
        _users = users;
        _sms = sms;
        _clock = clock;
        _state = new UserState(phone, settings.DedupWindow, settings.MaxDeviceTokens);
    }

    // An untyped persistent actor, because there is one per user: no per-instance handler tables.
    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer offer:
                _state = UserState.FromSnapshot(_phone, _settings.DedupWindow, (UserSnapshot)offer.Snapshot, _settings.MaxDeviceTokens);
                break;
            case RecoveryCompleted:
                OnRecovered();
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
            case RequestCode:
                HandleRequestCode();
                break;
            case VerifyCode verify:
                HandleVerify(verify);
                break;
            case Login login:
                HandleLogin(login);
                break;
            case ResumeSession resume:
                HandleResume(resume);
                break;
            case ConfirmDirectoryEntry:
                HandleConfirmDirectoryEntry();
                break;
            case BackfillDirectoryEntry:
                Run(_state.Registration.DecideBackfillDirectoryEntry(_phone, _registrationDurable, NowMs)); // UserActor.Decisions.cs
                break;
            case SubmitMessage submit:
                HandleSubmit(submit);
                break;
            case AcknowledgeItems ack:
                HandleAcknowledge(ack);
                break;
            case ItemsWritten written:
                HandleWritten(written);
                break;
            case MarkRead read:
                HandleRead(read);
                break;
            case StoreReceipt store:
                HandleStoreReceipt(store);
                break;
            case Groups.Contracts.QueueGroupItem item:
                HandleQueueGroupItem(item);
                break;
            case Groups.Contracts.GroupBodies bodies:
                HandleGroupBodies(bodies);
                break;
            case ReceiptStored stored:
                HandleReceiptStored(stored);
                break;
            case QueueStatus queueStatus:
                HandleQueueStatus(queueStatus);
                break;
            case StatusLoaded loaded:
                HandleStatusLoaded(loaded);
                break;
            case FlushConfirmations:
                JournalConfirmations();
                break;
            case StatusQuery:
                HandleStatusQuery();
                break;
            case Terminated terminated:
                HandleTerminated(terminated);
                break;
            case ResendOutbox:
                SendOutbox(fromId: 0);
                break;
            case ExpiryDue:
                HandleExpiryDue();
                break;
            case ReceiveTimeout:
                HandlePassivationTimeout();
                break;
            case Stop:
                Context.Stop(Self);
                break;
            case SaveSnapshotSuccess saved:
                HandleSnapshotSaved(saved);
                break;
            case SaveSnapshotFailure failure:
                Log.Warning(failure.Cause, "User {0}: snapshot failed; the journal is kept", _phone);
                break;
            case DeleteMessagesFailure failure:
                Log.Warning(failure.Cause, "User {0}: deleting acknowledged items from the journal failed", _phone);
                break;
            case DeleteSnapshotsFailure failure:
                Log.Warning(failure.Cause, "User {0}: deleting old snapshots failed", _phone);
                break;
            case DeleteMessagesSuccess or DeleteSnapshotsSuccess:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    public override string PersistenceId => "user-" + _phone;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string phone, AkkaChatSettings settings, IActorRef users, ISmsSender sms, IUserDirectory directory, TimeProvider clock, IStatusStore? statuses = null) =>
        Akka.Actor.Props.Create(() => new UserActor(phone, settings, users, sms, directory, clock, statuses));

    private long NowMs => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private void OnRecovered()
    {
        _registrationDurable = _state.Registered;
        _durableUpTo = _state.NextSeq - 1;
        ExpireDueItems();
        SendOutbox(fromId: 0);
        WakeLatestSession(); // UserActor.Passivation.cs
        Context.SetReceiveTimeout(_settings.PassivateAfter);
    }

    // ---- registration and login: decided by the registration part (Registration/RegistrationDecisions.cs) ----

    private void HandleRequestCode()
    {
        _code = VerificationCode.Issue(_clock.GetUtcNow(), _settings.CodeTtl, _settings.CodeMaxTries);
        Run(RegistrationState.DecideRequestCode(_phone, _code, _settings.CodeTtl, _settings.RevealCodes));
    }

    private void HandleVerify(VerifyCode verify)
    {
        var accepted = _code is not null && _code.TryVerify(verify.Code, _clock.GetUtcNow());
        if (!accepted)
        {
            Log.Debug("User {0}: wrong or expired registration code", _phone);
            Run(_state.Registration.DecideVerify(_phone, codeAccepted: false, verify.DeviceName, Array.Empty<byte>(), ByteString.Empty, NowMs, _registrationDurable));
            return;
        }

        _code = null;
        var token = DeviceTokens.NewToken();
        Run(_state.Registration.DecideVerify(_phone, codeAccepted: true, verify.DeviceName, DeviceTokens.Hash(token), ByteString.CopyFrom(token), NowMs, _registrationDurable));
    }

    /// <summary>Marks this user's directory entry confirmed; a failure leaves it unconfirmed, which readers resolve with this actor.</summary>
    private void ConfirmInDirectory()
    {
        var phone = _phone;
        var log = Log;
        _directory.ConfirmAsync(phone).ContinueWith(
            t => log.Warning(t.Exception, "User {0}: confirming the user directory entry failed; it is confirmed when next read", phone),
            TaskContinuationOptions.OnlyOnFaulted);
    }

    /// <summary>
    /// A node found this user's directory entry unconfirmed: confirm it if the journal holds the
    /// registration, else remove it (it was written before a registration that never reached the journal).
    /// </summary>
    private void HandleConfirmDirectoryEntry() => Run(_state.Registration.DecideConfirmDirectoryEntry(_registrationDurable));

    private void HandleLogin(Login login)
    {
        var decision = _state.Registration.DecideLogin(DeviceTokens.Hash(login.Token.Span), SessionPath(Sender), NowMs);
        if (decision.Events.Count == 0)
        {
            Log.Debug("User {0}: login with an unknown token refused", _phone);
        }

        Run(decision);
    }

    /// <summary>The serialized path of a connection, as SessionLoggedIn names it.</summary>
    private static string SessionPath(IActorRef connection) => Akka.Serialization.Serialization.SerializedActorPath(connection);

    private void AttachLoggedIn(IActorRef connection, ByteString token)
    {
        if (_session is not null && !_session.Equals(connection))
        {
            Log.Debug("User {0}: new login replaces session {1}", _phone, _session.Path.Name);
            Context.Unwatch(_session);
            _session.Tell(new SessionReplaced { Phone = _phone });
        }

        _session = connection;
        _sessionLoggedInAtMs = NowMs;
        Context.Watch(connection);
        ExpireDueItems(); // AUTH_OK.pending counts no item past max-age
        _deliveredUpTo = _writtenUpTo = _state.RemovedUpTo;
        connection.Tell(new AuthOk
        {
            Token = token,
            ServerTimeMs = _sessionLoggedInAtMs,
            Node = _settings.NodeName,
            Pending = _durableUpTo > _state.RemovedUpTo ? _durableUpTo - _state.RemovedUpTo : 0,
        });
        Log.Debug("User {0}: session {1} attached, {2} items pending", _phone, connection.Path.Name, _state.Inbox.Count);
        Push();
    }

    private void HandleResume(ResumeSession resume) =>
        Run(Sessions.SessionRules.DecideResume(_phone, _state.LatestSession, _session, _sessionLoggedInAtMs, Sender, resume.LoggedInAtMs));

    /// <summary>Attaches <paramref name="connection"/> as the session again after the resume check, and pushes from the oldest unacknowledged item.</summary>
    private void AttachResumedSession(IActorRef connection, long loggedInAtMs)
    {
        _session = connection;
        _sessionLoggedInAtMs = loggedInAtMs;
        Context.Watch(connection);
        _deliveredUpTo = _writtenUpTo = _state.RemovedUpTo;
        connection.Tell(new SessionResumed { Phone = _phone });
        Log.Debug("User {0}: session {1} resumed after the user actor moved or restarted", _phone, connection.Path.Name);
        Push();
    }

    protected override void PreRestart(Exception reason, object message)
    {
        // The restarted incarnation recovers the queue from the journal but not the session:
        // ask the session to attach itself again.
        _session?.Tell(new SessionInterrupted { Phone = _phone });
        base.PreRestart(reason, message);
    }

    private void HandleTerminated(Terminated terminated)
    {
        if (terminated.ActorRef.Equals(_session))
        {
            _session = null;
            SessionEnded();
            Log.Debug("User {0}: session ended", _phone);
        }
    }

    // ---- the queue: decided by the inbox part (Inbox/InboxDecisions.cs) ----

    private void HandleSubmit(SubmitMessage submit) => Run(_state.Decide(submit, Guid.CreateVersion7().ToString("N"), NowMs));

    private void HandleStoreReceipt(StoreReceipt store) => Run(_state.Queue.Decide(store, NowMs));

    // Any logged-in connection of this user may acknowledge what was pushed to it, even one that is
    // no longer the session: its connection may have closed right after the ACK, and the Terminated
    // of a closed connection overtakes its last messages. Never beyond what this incarnation has
    // pushed to some session of the user.
    private void HandleAcknowledge(AcknowledgeItems ack) => Run(_state.Queue.Decide(ack, _pushedUpTo, NowMs));

    /// <summary>The session's socket took the items pushed up to a seq: push up to a window past it.</summary>
    private void HandleWritten(ItemsWritten written)
    {
        if (!Sender.Equals(_session) || written.UpToSeq <= _writtenUpTo)
        {
            return; // a replaced session's late report paces nothing
        }

        _writtenUpTo = Math.Min(written.UpToSeq, _deliveredUpTo);
        Push();
    }

    private void HandleRead(MarkRead read) => Run(_state.Queue.Decide(read, NowMs));

    private void SendReceiptsOwed(OutboxRange owed)
    {
        if (!owed.IsEmpty)
        {
            SendOutbox(owed.First, owed.Last);
        }
    }

    /// <summary>
    /// A sender's queue stored one of this user's receipts. Confirmations wait, for at most
    /// akkachat.delivery.receipt-confirmation-delay and akkachat.delivery.max-confirmation-batch of
    /// them, to ride in the next event this user journals anyway (<see cref="CarryConfirmations"/>);
    /// only when none comes are they journaled as a ReceiptsConfirmed of their own. Until then the
    /// receipt is not resent; after a crash it is, and the sender's queue drops it as a duplicate
    /// (its dedup window holds the receipt's key).
    /// </summary>
    private void HandleReceiptStored(ReceiptStored stored)
    {
        (_confirmed ??= new HashSet<ulong>()).Add(stored.OutboxId);
        if (_settings.ReceiptConfirmationDelay == TimeSpan.Zero || _confirmed.Count >= _settings.MaxConfirmationBatch)
        {
            JournalConfirmations();
        }
        else if (!Timers.IsTimerActive(FlushConfirmations.Instance))
        {
            Timers.StartSingleTimer(FlushConfirmations.Instance, FlushConfirmations.Instance, _settings.ReceiptConfirmationDelay);
        }
    }

    /// <summary>
    /// Moves the confirmations waiting in <see cref="_confirmed"/> into <paramref name="event"/> when
    /// it is an event that carries them, so they cost no journal row of their own.
    /// </summary>
    private void CarryConfirmations(object @event)
    {
        if (_confirmed is { Count: > 0 } confirmed && InboxState.TryCarryConfirmations(@event, confirmed))
        {
            _confirmed = null;
            Timers.Cancel(FlushConfirmations.Instance);
        }
    }

    private void JournalConfirmations()
    {
        Timers.Cancel(FlushConfirmations.Instance);
        if (_confirmed is not { Count: > 0 } confirmed)
        {
            return;
        }

        _confirmed = null;
        PersistEvent(new ReceiptsConfirmed { OutboxIds = { confirmed } }, static _ => { });
    }

    /// <summary>
    /// Pushes queued items to the session, in seq order, up to one delivery window past what its
    /// socket took or it acknowledged (flow control by socket demand, never by ACKs alone). Items
    /// past max-age are dropped first (UserActor.Retention.cs); called with no session too, so the
    /// expiry timer follows every change of the queue.
    /// </summary>
    private void Push()
    {
        ExpireDueItems(); // an item past max-age is dropped, never pushed, even to a session that stays attached
        if (_session is null)
        {
            WakePassivatedSession(); // UserActor.Passivation.cs
            return;
        }

        _deliveredUpTo = Math.Max(_deliveredUpTo, _state.RemovedUpTo);
        _writtenUpTo = Math.Max(_writtenUpTo, _state.RemovedUpTo);
        var limit = Math.Min(_writtenUpTo + (ulong)_settings.DeliveryWindow, _durableUpTo);
        while (_deliveredUpTo < limit && _state.Inbox.TryGetBySeq(_deliveredUpTo + 1, out var item))
        {
            if (Inbox.InboxState.LacksGroupBody(item))
            {
                FetchGroupBodies(); // pushing goes on when the group answers
                break;
            }

            if (item.ItemCase == QueuedItem.ItemOneofCase.StatusUpdate)
            {
                if (!TryPushStatus(item))
                {
                    break; // its body is being read; pushing resumes in order once it is here
                }
            }
            else
            {
                _session.Tell(item.ItemCase switch
                {
                    QueuedItem.ItemOneofCase.Deliver => item.Deliver,
                    QueuedItem.ItemOneofCase.GroupInfo => item.GroupInfo,
                    _ => item.Receipt,
                });
                Metrics.ItemsDelivered.Add(1);
            }

            _deliveredUpTo++;
        }

        MarkSkippedStatusesExpired();

        _pushedUpTo = Math.Max(_pushedUpTo, _deliveredUpTo);
    }

    /// <summary>
    /// Sends the outbox receipts with ids from <paramref name="fromId"/> to <paramref name="toId"/> to
    /// their senders' queues. Each is resent until confirmed (after recovery and on a timer), so a
    /// receipt survives crashes.
    /// </summary>
    private void SendOutbox(ulong fromId, ulong toId = ulong.MaxValue)
    {
        foreach (var entry in _state.Outbox)
        {
            if (entry.Id < fromId || entry.Id > toId || (_confirmed?.Contains(entry.Id) ?? false))
            {
                continue;
            }

            _users.Tell(new StoreReceipt
            {
                Phone = entry.To,
                OutboxId = entry.Id,
                ServerMsgId = entry.ServerMsgId,
                ClientMsgId = entry.ClientMsgId,
                Status = entry.Status,
                By = _phone,
                AtMs = entry.AtMs,
                GroupId = entry.GroupId,
            });
        }

        if (_state.Outbox.Count > 0)
        {
            Timers.StartSingleTimer(ResendOutbox.Instance, ResendOutbox.Instance, _settings.OutboxResendInterval);
        }
    }

    // ---- journal, snapshots, passivation ----

    /// <summary>
    /// Applies <paramref name="event"/> now and journals it; <paramref name="then"/> runs once it is
    /// durable (callbacks run in the order the events were decided).
    /// </summary>
    private void PersistEvent<TEvent>(TEvent @event, Action<TEvent> then, Action<Exception?>? onFailed = null)
        where TEvent : class, IMessage
    {
        if (onFailed is not null)
        {
            (_onWriteFailed ??= new Dictionary<object, Action<Exception?>>(ReferenceEqualityComparer.Instance)).Add(@event, onFailed);
        }

        CarryConfirmations(@event);
        _state.Apply(@event);
        _pendingWrites++;
        _eventsSinceSnapshot++;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        PersistAsync(@event, e =>
        {
            Metrics.RecordJournalWrite(System.Diagnostics.Stopwatch.GetElapsedTime(started));
            _onWriteFailed?.Remove(e);
            _pendingWrites--;
            then(e);
            MaybeSnapshot();
        });
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // Akka.Persistence stops this actor after this; the next command recovers it from the journal.
        Metrics.JournalFailures.Add(1);
        NotifyWriteFailed(@event, cause);
        if (Overload.IsCause(cause))
        {
            OverloadLog.Get(Context.System).Note($"journal write of {PersistenceId} failed: {cause.Message}");
            return; // one rate-limited warning for all of them, not an error line per message
        }

        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        Metrics.JournalFailures.Add(1);
        NotifyWriteFailed(@event, cause);
        if (Overload.IsCause(cause))
        {
            // The state already holds the rejected event: stop, as after a failed write, and the next
            // command recovers from the journal (no restart, whose error line would come per message).
            OverloadLog.Get(Context.System).Note($"journal write of {PersistenceId} rejected: {cause.Message}");
            Context.Stop(Self);
            return;
        }

        base.OnPersistRejected(cause, @event, sequenceNr);

        // The state already holds the rejected event: start over from the journal.
        throw new InvalidOperationException($"the journal rejected event {sequenceNr} of {PersistenceId}; recovering", cause);
    }

    /// <summary>Tells whoever waits for <paramref name="event"/> that it was not stored (a SEND's sender: an ERROR, never a SEND_ACK).</summary>
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
        // Writes still in flight when a failed write stops the actor are lost with it: say so.
        if (_onWriteFailed is { Count: > 0 } pending)
        {
            foreach (var onFailed in pending.Values)
            {
                onFailed(_writeFailure);
            }

            pending.Clear();
        }

        Interlocked.Add(ref Metrics.Gauges.QueuedItems, -_countedQueued);
        _countedQueued = 0;
        base.PostStop();
    }

    private void MaybeSnapshot()
    {
        if (_pendingWrites > 0)
        {
            return; // a snapshot holds only what is durable
        }

        // Never below the queue length: a snapshot rewrites the whole queue, so a long queue is
        // snapshotted proportionally less often and the cost per event stays constant.
        if (_eventsSinceSnapshot >= Math.Max(_settings.SnapshotAfter, _state.Inbox.Count))
        {
            TakeSnapshot();
        }
    }

    private void TakeSnapshot()
    {
        _eventsSinceSnapshot = 0;
        SaveSnapshot(_state.ToSnapshot());
    }

    private void HandleSnapshotSaved(SaveSnapshotSuccess saved)
    {
        // Everything up to the snapshot is in it: acknowledged items leave the journal for good.
        DeleteMessages(saved.Metadata.SequenceNr);
        DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
        if (_passivating)
        {
            Context.Parent.Tell(new Passivate(Stop.Instance));
        }
    }

    private void HandlePassivationTimeout()
    {
        // A registration code lives only in this actor: keep it until it expires or is used up, so a
        // user who takes longer than passivate-after to type it is still accepted.
        if (!SessionAllowsPassivation() || _state.Outbox.Count > 0 || _pendingWrites > 0 || _passivating
            || (_code is { } code && code.IsUsable(_clock.GetUtcNow())))
        {
            return;
        }

        DetachSessionForPassivation(); // UserActor.Passivation.cs: an idle logged-in session stays open
        _passivating = true;
        Context.SetReceiveTimeout(null);
        if (_eventsSinceSnapshot > 0 && LastSequenceNr > 0)
        {
            TakeSnapshot(); // passivates once saved, so acknowledged items do not linger in the journal
        }
        else
        {
            Context.Parent.Tell(new Passivate(Stop.Instance));
        }
    }

    private sealed class FlushConfirmations
    {
        public static readonly FlushConfirmations Instance = new();
    }

    private sealed class ResendOutbox
    {
        public static readonly ResendOutbox Instance = new();
    }

    private sealed class Stop
    {
        public static readonly Stop Instance = new();
    }
}
