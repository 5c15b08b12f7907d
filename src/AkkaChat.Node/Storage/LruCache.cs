namespace AkkaChat.Node.Storage;

/// <summary>
/// A bounded least-recently-used map of values by their string key, shared by every actor of the
/// node: past <c>capacity</c> the least recently used value leaves first. Thread-safe (one lock;
/// every operation is a dictionary and linked-list update).
/// </summary>
internal sealed class LruCache<TValue>(int capacity, Func<TValue, string> keyOf)
{
    private readonly Dictionary<string, LinkedListNode<TValue>> _map = new(StringComparer.Ordinal);
    private readonly LinkedList<TValue> _recency = new(); // most recently used first
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _map.Count;
            }
        }
    }

    public bool TryGet(string key, out TValue value)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                value = node.Value;
                return true;
            }
        }

        value = default!;
        return false;
    }

    public void Put(TValue value)
    {
        var key = keyOf(value);
        lock (_lock)
        {
            if (_map.Remove(key, out var existing))
            {
                _recency.Remove(existing);
            }
            else if (_map.Count >= capacity)
            {
                var oldest = _recency.Last!;
                _recency.RemoveLast();
                _map.Remove(keyOf(oldest.Value));
            }

            _map[key] = _recency.AddFirst(value);
        }
    }

    public void Remove(string key)
    {
        lock (_lock)
        {
            if (_map.Remove(key, out var node))
            {
                _recency.Remove(node);
            }
        }
    }

    /// <summary>Removes every value <paramref name="stale"/> holds for (a walk over all of them).</summary>
    public void RemoveWhere(Func<TValue, bool> stale)
    {
        lock (_lock)
        {
            for (var node = _recency.First; node is not null;)
            {
                var next = node.Next;
                if (stale(node.Value))
                {
                    _recency.Remove(node);
                    _map.Remove(keyOf(node.Value));
                }

                node = next;
            }
        }
    }
}
