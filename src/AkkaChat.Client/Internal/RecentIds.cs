namespace AkkaChat.Client.Internal;

/// <summary>The last <c>capacity</c> ids seen, oldest forgotten first. Not thread-safe.</summary>
internal sealed class RecentIds(int capacity)
{
    private readonly HashSet<string> _set = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public int Count => _set.Count;

    /// <summary>Remembers <paramref name="id"/>; false when it is already remembered.</summary>
    public bool Add(string id)
    {
        if (!_set.Add(id))
        {
            return false;
        }

        _order.Enqueue(id);
        if (_order.Count > capacity)
        {
            _set.Remove(_order.Dequeue());
        }

        return true;
    }
}
