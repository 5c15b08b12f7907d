namespace AkkaChat.Node.Statuses.Internal;

/// <summary>
/// The most recently used statuses, at most <c>capacity</c> of them, so that pushing one status to
/// its many contacts on this node reads the table once. Thread-safe (one lock; every operation is
/// a dictionary and list update).
/// </summary>
internal sealed class StatusCache(int capacity)
{
    private readonly Dictionary<string, LinkedListNode<PostedStatus>> _byId = new(StringComparer.Ordinal);
    private readonly LinkedList<PostedStatus> _order = new(); // most recent first
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byId.Count;
            }
        }
    }

    public bool TryGet(string statusId, out PostedStatus status)
    {
        lock (_lock)
        {
            if (_byId.TryGetValue(statusId, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                status = node.Value;
                return true;
            }
        }

        status = null!;
        return false;
    }

    public void Put(PostedStatus status)
    {
        lock (_lock)
        {
            if (_byId.Remove(status.StatusId, out var existing))
            {
                _order.Remove(existing);
            }

            _byId[status.StatusId] = _order.AddFirst(status);
            while (_byId.Count > capacity)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _byId.Remove(last.Value.StatusId);
            }
        }
    }

    public void RemoveExpired(long nowMs)
    {
        lock (_lock)
        {
            for (var node = _order.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.ExpiresAtMs <= nowMs)
                {
                    _order.Remove(node);
                    _byId.Remove(node.Value.StatusId);
                }

                node = next;
            }
        }
    }
}
