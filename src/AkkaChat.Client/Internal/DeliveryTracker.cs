namespace AkkaChat.Client.Internal;

/// <summary>
/// Which queued items are new, which are duplicates, and up to which seq the user's queue may be
/// acknowledged. Pure bookkeeping, thread-safe.
/// <para>
/// The node numbers a user's items 1, 2, 3, ... and pushes them in seq order; after a reconnect it
/// pushes again every item not yet acknowledged, with the same seq and ids. So an item whose seq is
/// not above the highest seq already admitted is a duplicate. Items are also remembered by id
/// (DELIVER by server_msg_id), which catches the same message queued twice under different seqs.
/// </para>
/// <para>
/// Admitted items go to the application in seq order. The acknowledgeable seq is the highest seq
/// such that every admitted item up to it has been moved past by the application: the seq before
/// the oldest item not yet moved past, or the highest seq seen when there is none. Duplicates
/// never hold it back.
/// </para>
/// </summary>
internal sealed class DeliveryTracker(int idMemory)
{
    private readonly object _gate = new();
    private readonly RecentIds _recentIds = new(idMemory);
    // Seqs of admitted items the application has not moved past yet, oldest first. Bounded by the
    // event buffer plus the item the application holds.
    private readonly Queue<ulong> _unhandled = new();
    private ulong _highestSeen;

    public enum Admission
    {
        /// <summary>New: hand it to the application.</summary>
        Deliver,
        /// <summary>Seen before: drop it.</summary>
        Duplicate,
    }

    private long _duplicatesDropped;

    public long DuplicatesDropped => Interlocked.Read(ref _duplicatesDropped);

    public ulong HighestSeen
    {
        get
        {
            lock (_gate)
            {
                return _highestSeen;
            }
        }
    }

    /// <summary>The highest seq that may be acknowledged now; 0 when nothing may be.</summary>
    public ulong Acknowledgeable
    {
        get
        {
            lock (_gate)
            {
                return _unhandled.TryPeek(out var oldest) ? oldest - 1 : _highestSeen;
            }
        }
    }

    /// <summary>Decides about a queued item; an admitted one must then be handed to the application in admission order.</summary>
    public Admission Admit(ulong seq, string? id)
    {
        lock (_gate)
        {
            if (seq <= _highestSeen)
            {
                Interlocked.Increment(ref _duplicatesDropped);
                return Admission.Duplicate;
            }

            _highestSeen = seq;
            if (id is not null && !_recentIds.Add(id))
            {
                Interlocked.Increment(ref _duplicatesDropped);
                return Admission.Duplicate;
            }

            _unhandled.Enqueue(seq);
            return Admission.Deliver;
        }
    }

    /// <summary>The application moved past the item <paramref name="seq"/>; true when more may be acknowledged.</summary>
    public bool MovedPast(ulong seq)
    {
        lock (_gate)
        {
            if (!_unhandled.TryPeek(out var oldest) || oldest != seq)
            {
                return false;
            }

            _unhandled.Dequeue();
            return true;
        }
    }
}
