using Akka.Actor;
using Akka.Event;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Diagnostics;
using AkkaChat.Node.Inbox;
using AkkaChat.Node.Registration;
using AkkaChat.Node.Sessions;
using AkkaChat.Node.UserDirectory;
using AkkaChat.Protocol;
using Google.Protobuf;
using Error = AkkaChat.Protocol.Messages.Error;
using ConfirmInDirectoryEffect = AkkaChat.Node.Registration.ConfirmInDirectory;
using NotifyGroupsEffect = AkkaChat.Node.Inbox.NotifyGroupsAcknowledged;
using TraceAcknowledgedEffect = AkkaChat.Node.Inbox.TraceAcknowledged;

namespace AkkaChat.Node.Users;

/// <summary>
/// The glue between the parts' decisions and the actor: <see cref="Run"/> journals a
/// <see cref="Decision"/>'s events (each applied as it is journaled), keeps the actor's own
/// bookkeeping of durable events (<see cref="OnDurable"/>) and runs the decision's effects.
/// </summary>
public sealed partial class UserActor
{
    /// <summary>
    /// Runs <paramref name="decision"/> for the command from <paramref name="replyTo"/> (the current
    /// sender when null): effects that run at once first, then the events journaled in order, with
    /// the remaining effects once the last is durable (at once when there is none).
    /// </summary>
    private void Run(Decision decision, IActorRef? replyTo = null)
    {
        if (decision.IsNone)
        {
            return;
        }

        var to = replyTo ?? Sender;
        List<Effect>? afterDurable = null;
        ReplyIfNotStored? ifNotStored = null;
        DirectoryEntry? directoryFirst = null;
        foreach (var effect in decision.Effects)
        {
            switch (effect)
            {
                case IRunsAtOnce:
                    RunEffect(effect, to);
                    break;
                case ReplyIfNotStored notStored:
                    ifNotStored = notStored;
                    break;
                case ReplyAfterWrites after:
                    DeferAsync(after.Answer, a => to.Tell(a));
                    break;
                case WriteDirectoryFirst write:
                    directoryFirst = write.Entry;
                    break;
                default:
                    (afterDurable ??= new List<Effect>(decision.Effects.Count)).Add(effect);
                    break;
            }
        }

        if (directoryFirst is null)
        {
            JournalDecided(decision.Events, afterDurable, ifNotStored, to);
            return;
        }

        // The directory first, then the journal (RegistrationState.DecideVerify). RunTask holds this
        // user's next commands until the row is written.
        RunTask(async () =>
        {
            try
            {
                await _directory.WriteAsync(directoryFirst);
            }
            catch (Exception e)
            {
                Log.Warning(e, "User {0}: the user directory could not be written; registration refused", _phone);
                to.Tell(Error.Of(ErrorCode.Internal, "registration could not be stored; try again"));
                return;
            }

            JournalDecided(decision.Events, afterDurable, ifNotStored, to);
        });
    }

    private void JournalDecided(IReadOnlyList<IMessage> events, List<Effect>? effects, ReplyIfNotStored? ifNotStored, IActorRef replyTo)
    {
        if (events.Count == 0)
        {
            RunEffects(effects, replyTo);
            return;
        }

        for (var i = 0; i < events.Count; i++)
        {
            if (i < events.Count - 1)
            {
                PersistEvent(events[i], OnDurable);
                continue;
            }

            // Only the last event answers a lost write: any earlier one lost stops the actor, and
            // PostStop tells the writes still in flight (this one among them) that they were lost.
            PersistEvent(
                events[i],
                e =>
                {
                    OnDurable(e);
                    RunEffects(effects, replyTo);
                },
                ifNotStored is { } notStored ? cause => replyTo.Tell(Overload.Refusal(cause, notStored.Reason, notStored.Reference)) : null);
        }
    }

    /// <summary>What the actor itself keeps track of once an event it decided is durable: what may be pushed, counters, traces.</summary>
    private void OnDurable(IMessage @event)
    {
        switch (@event)
        {
            case MessageQueued queued:
                var deliver = queued.Item.Deliver;
                _durableUpTo = Math.Max(_durableUpTo, deliver.Seq);
                Metrics.MessagesQueued.Add(1);
                Management.MessageTrace.Get(Context.System).Record(deliver.ServerMsgId, $"journaled at seq {deliver.Seq} for {_phone} (from {deliver.From})", Self);
                Log.Debug("User {0}: queued {1} from {2} as seq {3}", _phone, deliver.ServerMsgId, deliver.From, deliver.Seq);
                break;
            case ReceiptQueued queued:
                _durableUpTo = Math.Max(_durableUpTo, queued.Item.Seq);
                TraceReceiptQueued(queued.Item);
                break;
            case StatusUpdateQueued queued:
                _durableUpTo = Math.Max(_durableUpTo, queued.Item.Seq);
                break;
            case UserRegistered:
                _registrationDurable = true;
                Log.Info("User {0}: registered", _phone);
                ConfirmInDirectory();
                break;
        }
    }

    private void RunEffects(List<Effect>? effects, IActorRef replyTo)
    {
        if (effects is null)
        {
            return;
        }

        foreach (var effect in effects)
        {
            RunEffect(effect, replyTo);
        }
    }

    private void RunEffect(Effect effect, IActorRef replyTo)
    {
        switch (effect)
        {
            case ReplyNow now:
                replyTo.Tell(now.Answer);
                break;
            case Reply reply:
                replyTo.Tell(reply.Answer);
                break;
            case PushItems:
                Push();
                break;
            case SendReceipts receipts:
                SendReceiptsOwed(receipts.Range);
                break;
            case NotifyGroupsEffect groups:
                NotifyGroupsAcknowledged(groups.UpTo);
                break;
            case CountAcknowledged count:
                Metrics.ItemsAcknowledged.Add(count.Items);
                break;
            case TraceAcknowledgedEffect trace:
                TraceAcknowledged(trace.UpToSeq);
                break;
            case SendCode code:
                _sms.SendCode(code.Phone, code.Code, code.Ttl);
                break;
            case StartSession start:
                Run(_state.Registration.DecideSession(SessionPath(replyTo), start.Token, NowMs), replyTo);
                break;
            case AttachSession attach:
                AttachLoggedIn(replyTo, attach.Token);
                break;
            case ReplaceSession replace:
                Context.Unwatch(replace.Session);
                replace.Session.Tell(new SessionReplaced { Phone = _phone });
                break;
            case AttachResumed resumed:
                AttachResumedSession(replyTo, resumed.LoggedInAtMs);
                break;
            case ConfirmInDirectoryEffect:
                ConfirmInDirectory();
                break;
            case RemoveFromDirectory:
                RemoveDirectoryEntry();
                break;
            case WriteDirectoryEntry write:
                WriteBackfilledEntry(write.Entry);
                break;
            default:
                throw new InvalidOperationException($"the user actor runs no effect {effect.GetType().Name}");
        }
    }

    private void WriteBackfilledEntry(DirectoryEntry entry)
    {
        var phone = _phone;
        var log = Log;
        _directory.WriteAsync(entry).ContinueWith(
            t => log.Warning(t.Exception, "User {0}: writing the user directory entry from the journal failed; the next start's backfill writes it", phone),
            TaskContinuationOptions.OnlyOnFaulted);
    }

    private void RemoveDirectoryEntry() =>
        RunTask(async () =>
        {
            try
            {
                await _directory.RemoveAsync(_phone);
                Log.Info("User {0}: removed from the user directory; its registration never reached the journal", _phone);
            }
            catch (Exception e)
            {
                Log.Warning(e, "User {0}: removing a stale user directory entry failed", _phone);
            }
        });
}
