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

    /// <summary>A group message in a member's queue: kept apart from one-to-one keys, so ids never collide.</summary>
    public static string GroupMessageKey(string sender, string groupId, string clientMsgId) => string.Concat("gm|", sender, "|", groupId, "|", clientMsgId);

    public static string ReceiptKey(string by, string serverMsgId, uint status) => $"r|{by}|{serverMsgId}|{status}";

    public bool TryGet(string key, out DedupEntry entry) => _byKey.TryGetValue(key, out entry!);

    /// <summary>The sender and client_msg_id of a message this window still remembers.</summary>
    public bool TryFindMessage(string serverMsgId, out string sender, out string clientMsgId) =>
        TryFindMessage(serverMsgId, out sender, out clientMsgId, out _);

    /// <summary>As above, with the group a group message was sent to (empty for one-to-one).</summary>
    public bool TryFindMessage(string serverMsgId, out string sender, out string clientMsgId, out string groupId)
    {
        sender = clientMsgId = groupId = string.Empty;
        if (!_keyByServerMsgId.TryGetValue(serverMsgId, out var key))
        {
            return false;
        }

        if (key.StartsWith("gm|", StringComparison.Ordinal))
        {
            // "gm|" + sender + "|" + group id + "|" + clientMsgId; neither a phone nor a group id contains '|'.
            var first = key.IndexOf('|', 3);
            var second = key.IndexOf('|', first + 1);
            sender = key[3..first];
            groupId = key[(first + 1)..second];
            clientMsgId = key[(second + 1)..];
            return true;
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
        if (IsMessageKey(entry.Key))
        {
            _keyByServerMsgId[entry.ServerMsgId] = entry.Key;
        }

        while (_order.Count > Capacity)
        {
            var evicted = _order.Dequeue();
            if (_byKey.Remove(evicted, out var old) && IsMessageKey(evicted))
            {
                _keyByServerMsgId.Remove(old.ServerMsgId);
            }
        }
    }

    private static bool IsMessageKey(string key) => key.StartsWith("m|", StringComparison.Ordinal) || key.StartsWith("gm|", StringComparison.Ordinal);

    /// <summary>Entries oldest first, as a snapshot stores them.</summary>
    public IEnumerable<DedupEntry> Entries => _order.Select(k => _byKey[k]);
}
