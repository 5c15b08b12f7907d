using AkkaChat.Node.Contracts;

namespace AkkaChat.Node.Users;

/// <summary>
/// A user's queued items in seq order. Items leave only from the front (acknowledged or expired),
/// and their seqs are consecutive, so the item with seq s sits at index s - FirstSeq.
/// </summary>
public sealed class InboxQueue
{
    private readonly List<QueuedItem> _items = new();
    private int _head;

    public int Count => _items.Count - _head;

    /// <summary>Seq of the oldest item still queued; only meaningful when Count > 0.</summary>
    public ulong FirstSeq => _items[_head].Seq;

    public QueuedItem this[int index] => _items[_head + index];

    public bool TryGetBySeq(ulong seq, out QueuedItem item)
    {
        item = null!;
        if (Count == 0 || seq < FirstSeq)
        {
            return false;
        }

        var index = seq - FirstSeq;
        if (index >= (ulong)Count)
        {
            return false;
        }

        item = this[(int)index];
        return true;
    }

    public void Enqueue(QueuedItem item) => _items.Add(item);

    public QueuedItem Dequeue()
    {
        var item = _items[_head];
        _items[_head] = null!;
        _head++;
        // Compact once the dead prefix is half the list, so removal stays amortised O(1).
        if (_head > 32 && _head * 2 >= _items.Count)
        {
            _items.RemoveRange(0, _head);
            _head = 0;
        }

        return item;
    }

    public IEnumerable<QueuedItem> Items
    {
        get
        {
            for (var i = _head; i < _items.Count; i++)
            {
                yield return _items[i];
            }
        }
    }
}
