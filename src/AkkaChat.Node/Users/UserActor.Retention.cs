using Akka.Actor;
using Akka.Event;

namespace AkkaChat.Node.Users;

/// <summary>
/// The user actor's part of retention (<c>akkachat.retention.max-age</c>): an item never
/// acknowledged is dropped once it is older than max-age, journaled as <c>ItemsExpired</c> and
/// counted in <c>akkachat.items.expired</c>. The rule is applied whenever the actor runs, not only
/// when it recovers: at recovery, before each push (so before AUTH_OK counts what is pending after a
/// login or resume), and by one timer that is due when the oldest queued item reaches max-age.
/// The timer exists only while the queue holds items; an empty queue keeps none, so an idle user's
/// actor costs no scheduled task.
/// <para>Only items already in the journal expire, and only from the front: items are queued in
/// seq order, so dropping stops at the first younger item and nothing younger is lost, and the
/// order of what is left is unchanged. An expired item that was pushed but not acknowledged is not
/// pushed again; a later ACK of it acknowledges nothing (no DELIVERED receipt), as after recovery.</para>
/// </summary>
public sealed partial class UserActor
{
    /// <summary>
    /// Longest wait of the expiry timer: it is set again when it fires, so a long max-age (30 days)
    /// is never one long timer, and a wall clock that jumps is caught up with within this.
    /// </summary>
    private static readonly TimeSpan MaxExpiryWait = TimeSpan.FromHours(1);

    /// <summary>Shortest wait, for an item due but not yet in the journal (its write is in flight).</summary>
    private static readonly TimeSpan MinExpiryWait = TimeSpan.FromMilliseconds(100);

    private long RetentionMaxAgeMs => (long)_settings.RetentionMaxAge.TotalMilliseconds;

    /// <summary>Drops the items past max-age (journaled; counted once durable), then keeps the expiry timer for what is left.</summary>
    private void ExpireDueItems()
    {
        if (_state.DecideExpire(NowMs, RetentionMaxAgeMs, upToSeq: _durableUpTo) is { } expired)
        {
            PersistEvent(expired, e =>
            {
                Metrics.ItemsExpired.Add(e.Count);
                Log.Info("User {0}: dropped {1} items older than {2}, never acknowledged", _phone, e.Count, _settings.RetentionMaxAge);
            });
        }

        KeepExpiryTimer();
    }

    /// <summary>
    /// One timer while the queue holds items, due when its oldest reaches max-age (or after at most
    /// <see cref="MaxExpiryWait"/>); none for an empty queue. A timer already set is kept: after an
    /// ACK it is due early at worst, finds nothing to drop and is set again for the new oldest item.
    /// </summary>
    private void KeepExpiryTimer()
    {
        if (_state.Inbox.Count == 0)
        {
            if (Timers.IsTimerActive(ExpiryDue.Instance))
            {
                Timers.Cancel(ExpiryDue.Instance);
            }

            return;
        }

        if (Timers.IsTimerActive(ExpiryDue.Instance))
        {
            return;
        }

        var dueIn = TimeSpan.FromMilliseconds(_state.Inbox[0].EnqueuedAtMs + RetentionMaxAgeMs - NowMs);
        var wait = dueIn < MinExpiryWait ? MinExpiryWait : dueIn > MaxExpiryWait ? MaxExpiryWait : dueIn;
        Timers.StartSingleTimer(ExpiryDue.Instance, ExpiryDue.Instance, wait);
    }

    /// <summary>The expiry timer fired: drop what is due, and push on past it.</summary>
    private void HandleExpiryDue() => Push(); // Push drops due items first

    /// <summary>The expiry timer's tick. It does not count as activity, so the actor still passivates when idle.</summary>
    private sealed class ExpiryDue : INotInfluenceReceiveTimeout
    {
        public static readonly ExpiryDue Instance = new();
    }
}
