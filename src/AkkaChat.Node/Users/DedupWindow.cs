using AkkaChat.Node.Contracts;

namespace AkkaChat.Node.Users;

/// <summary>
/// The most recent idempotency keys a user's queue has seen, oldest evicted first.
/// Message keys are (sender, client_msg_id) and map to the server_msg_id first issued, so a resent
/// SEND gets the same SEND_ACK and is never queued twice; they also answer "who sent this
/// server_msg_id, under which client_msg_id" for READ receipts. Receipt keys are
/// (by, server_msg_id, status) and drop receipts stored twice by an at-least-once outbox.
/// </summary>
public sealed class DedupWindow
{
    private readonly Dictionary<string, DedupEntry> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _keyByServerMsgId = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public DedupWindow(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count => _byKey.Count;

    public static string MessageKey(string sender, string clientMsgId) => string.Concat("m|", sender, "|", clientMsgId);

    public static string ReceiptKey(string by, string serverMsgId, uint status) => $"r|{by}|{serverMsgId}|{status}";

    public bool TryGet(string key, out DedupEntry entry) => _byKey.TryGetValue(key, out entry!);

    /// <summary>The sender and client_msg_id of a message this window still remembers.</summary>
    public bool TryFindMessage(string serverMsgId, out string sender, out string clientMsgId)
    {
        sender = clientMsgId = string.Empty;
        if (!_keyByServerMsgId.TryGetValue(serverMsgId, out var key))
        {
            return false;
        }

        // key = "m|" + sender + "|" + clientMsgId; a phone number never contains '|'.
        var separator = key.IndexOf('|', 2);
        sender = key[2..separator];
        clientMsgId = key[(separator + 1)..];
        return true;
    }

    public void Add(DedupEntry entry)
    {
        if (!_byKey.TryAdd(entry.Key, entry))
        {
            return;
        }

        _order.Enqueue(entry.Key);
        if (entry.Key.StartsWith("m|", StringComparison.Ordinal))
        {
            _keyByServerMsgId[entry.ServerMsgId] = entry.Key;
        }

        while (_order.Count > Capacity)
        {
            var evicted = _order.Dequeue();
            if (_byKey.Remove(evicted, out var old) && evicted.StartsWith("m|", StringComparison.Ordinal))
            {
                _keyByServerMsgId.Remove(old.ServerMsgId);
            }
        }
    }

    /// <summary>Entries oldest first, as a snapshot stores them.</summary>
    public IEnumerable<DedupEntry> Entries => _order.Select(k => _byKey[k]);
}
