using Akka.Actor;
using Akka.Event;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Diagnostics;
using AkkaChat.Node.Statuses;

namespace AkkaChat.Node.Users;

/// <summary>
/// The user actor's part of the status module: STATUS_UPDATE items in this user's queue. An item
/// holds no body (the status table holds it once); pushing reads the body from the node's status
/// cache, or from the table first, holding later items meanwhile so the seq order stays. An
/// update past its expires_at_ms is never pushed: it is skipped, so items behind it go out at
/// once, marked expired in the journal (counted once in akkachat.statuses.expired), and leaves
/// the queue with the ACK of a later item.
/// </summary>
public sealed partial class UserActor
{
    /// <summary>Wait before reading a status body again after the table failed to answer (akkachat.users.status-read-retry).</summary>
    private TimeSpan StatusReadRetry => _settings.StatusReadRetry;

    private readonly IStatusStore? _statuses;
    // The status whose body is being read; pushing waits for it.
    private string? _loadingStatusId;
    // The body last read from the table (the cache may have let it go already).
    private PostedStatus? _loadedStatus;
    // This push skipped an expired update not yet marked in the journal.
    private bool _skippedExpiredStatus;

    private void HandleQueueStatus(QueueStatus command) => Run(_state.Decide(command, NowMs)); // UserActor.Decisions.cs

    /// <summary>Pushes the STATUS_UPDATE <paramref name="item"/> with its body, or skips it when expired; false when its body must be read first.</summary>
    private bool TryPushStatus(QueuedItem item)
    {
        if (Inbox.InboxState.IsExpiredStatus(item, NowMs))
        {
            _skippedExpiredStatus |= !item.Expired;
            return true;
        }

        var update = item.StatusUpdate;
        PostedStatus? status = null;
        if (_statuses is not null && !_statuses.TryGetCached(update.StatusId, out status))
        {
            if (_loadedStatus?.StatusId != update.StatusId)
            {
                ReadStatus(update.StatusId);
                return false;
            }

            status = _loadedStatus;
        }

        var pushed = update.Clone();
        pushed.Body = status?.Body ?? pushed.Body;
        _session!.Tell(pushed);
        return true;
    }

    private void ReadStatus(string statusId)
    {
        if (_loadingStatusId == statusId)
        {
            return;
        }

        _loadingStatusId = statusId;
        _statuses!.FindAsync(statusId).PipeTo(
            Self,
            success: found => new StatusLoaded(statusId, found, null),
            failure: e => new StatusLoaded(statusId, null, e));
    }

    private void HandleStatusLoaded(StatusLoaded loaded)
    {
        _loadingStatusId = null;
        if (loaded.Failure is not null)
        {
            Log.Warning(loaded.Failure, "User {0}: reading status {1} failed; trying again", _phone, loaded.StatusId);
            Timers.StartSingleTimer(loaded, new StatusLoaded(loaded.StatusId, null, null, Retry: true), StatusReadRetry);
            return;
        }

        if (loaded.Retry)
        {
            Push();
            return;
        }

        if (loaded.Status is null)
        {
            // Gone from the table: it expired and was deleted. Drop it like any expired update.
            var gone = new StatusUpdatesExpired();
            foreach (var item in _state.Inbox.Items)
            {
                if (item.ItemCase == QueuedItem.ItemOneofCase.StatusUpdate && !item.Expired && item.StatusUpdate.StatusId == loaded.StatusId)
                {
                    gone.Seqs.Add(item.Seq);
                }
            }

            if (gone.Seqs.Count > 0)
            {
                PersistEvent(gone, e => NodeMetrics.Get(Context.System).StatusesExpired.Add(e.Seqs.Count));
            }
        }
        else
        {
            _loadedStatus = loaded.Status;
        }

        Push();
    }

    /// <summary>Journals which skipped updates expired (they are marked at once, so they are counted once).</summary>
    private void MarkSkippedStatusesExpired()
    {
        if (!_skippedExpiredStatus)
        {
            return;
        }

        _skippedExpiredStatus = false;
        if (_state.Queue.DecideExpireStatuses(NowMs, _deliveredUpTo) is { } expired)
        {
            PersistEvent(expired, e =>
            {
                NodeMetrics.Get(Context.System).StatusesExpired.Add(e.Seqs.Count);
                Log.Debug("User {0}: {1} status updates expired undelivered", _phone, e.Seqs.Count);
            });
        }
    }

    private sealed record StatusLoaded(string StatusId, PostedStatus? Status, Exception? Failure, bool Retry = false);
}
