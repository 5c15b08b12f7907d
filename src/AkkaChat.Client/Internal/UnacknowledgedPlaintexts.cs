using AkkaChat.Client.Encryption;

namespace AkkaChat.Client.Internal;

/// <summary>
/// Messages decrypted and not yet acknowledged, by server_msg_id, in a file beside the key store
/// (<c>.unacked.json</c>, mode 0600). Decrypting consumes the message key, so without this a
/// message decrypted just before the application stopped, and so never acknowledged, would come
/// again from the node and fail as a replay: it would be lost. With it, it is shown again, as every
/// unacknowledged item is. An entry is dropped once an ACK covering its seq is written (the
/// application moved past it, so a copy the node sends again is rightly dropped as a duplicate);
/// the file is deleted when empty. Until then that plaintext is on the device's disk.
/// </summary>
internal sealed class UnacknowledgedPlaintexts
{
    private readonly object _lock = new();
    private string? _path;
    private List<Entry> _entries = [];

    public sealed record Entry(string Id, ulong Seq, byte[] Body);

    public byte[]? Find(E2eEncryptor e2e, string serverMsgId)
    {
        lock (_lock)
        {
            Load(e2e);
            return _entries.Find(e => e.Id == serverMsgId)?.Body;
        }
    }

    public void Add(E2eEncryptor e2e, string serverMsgId, ulong seq, byte[] body, ulong acknowledged)
    {
        lock (_lock)
        {
            Load(e2e);
            _entries = _entries.Where(e => e.Id != serverMsgId && e.Seq > acknowledged).Append(new Entry(serverMsgId, seq, body)).ToList();
            Save();
        }
    }

    /// <summary>An ACK up to <paramref name="acknowledged"/> was written: forget what it covers.</summary>
    public void Prune(E2eEncryptor e2e, ulong acknowledged)
    {
        lock (_lock)
        {
            Load(e2e);
            if (_entries.RemoveAll(e => e.Seq <= acknowledged) > 0)
            {
                Save();
            }
        }
    }

    private void Save()
    {
        if (_entries.Count == 0)
        {
            File.Delete(_path!);
            return;
        }

        var temporary = _path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            System.Text.Json.JsonSerializer.Serialize(stream, _entries);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, _path!, overwrite: true);
    }

    private void Load(E2eEncryptor e2e)
    {
        var path = e2e.StorePath + ".unacked.json";
        if (_path == path)
        {
            return;
        }

        _path = path;
        _entries = File.Exists(path) ? System.Text.Json.JsonSerializer.Deserialize<List<Entry>>(File.ReadAllBytes(path)) ?? [] : [];
    }
}
