namespace AkkaChat.Node.UserDirectory.Internal;

/// <summary>
/// A bounded least-recently-used map of phone -> entry, shared by every connection of the node.
/// Holds only registered users: an unregistered answer is always read from the table, because
/// the number may register on another node at any moment.
/// </summary>
internal sealed class DirectoryCache(int capacity)
{
    private readonly Dictionary<string, LinkedListNode<DirectoryEntry>> _map = new(StringComparer.Ordinal);
    private readonly LinkedList<DirectoryEntry> _recency = new(); // most recently used first
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

    public bool TryGet(string phone, out DirectoryEntry entry)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(phone, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                entry = node.Value;
                return true;
            }
        }

        entry = null!;
        return false;
    }

    public void Put(DirectoryEntry entry)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(entry.Phone, out var node))
            {
                _recency.Remove(node);
            }
            else if (_map.Count >= capacity)
            {
                var oldest = _recency.Last!;
                _recency.RemoveLast();
                _map.Remove(oldest.Value.Phone);
            }

            _map[entry.Phone] = _recency.AddFirst(entry);
        }
    }

    public void Remove(string phone)
    {
        lock (_lock)
        {
            if (_map.Remove(phone, out var node))
            {
                _recency.Remove(node);
            }
        }
    }
}
