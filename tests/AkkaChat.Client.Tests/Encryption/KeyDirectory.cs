using AkkaChat.Client.Encryption;
using AkkaChat.Protocol.Messages;

namespace AkkaChat.Client.Tests.Encryption;

/// <summary>
/// The node's KEYS_UPLOAD / KEYS_FETCH semantics of PROTOCOL.md, in memory, for SDK tests that run
/// without a node: an upload replaces the identity and signed prekey and adds one-time prekeys
/// (dropping duplicate ids); a fetch hands out each one-time prekey once, then none.
/// </summary>
internal sealed class KeyDirectory
{
    private readonly Dictionary<string, KeysUpload> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<PreKey>> _oneTime = new(StringComparer.Ordinal);

    public int Fetches { get; private set; }

    public void Upload(string phone, KeysUpload upload)
    {
        if (!_oneTime.TryGetValue(phone, out var queue) || (_keys.TryGetValue(phone, out var old) && old.IdentityKey != upload.IdentityKey))
            _oneTime[phone] = queue = new Queue<PreKey>();
        _keys[phone] = upload;
        foreach (var key in upload.OneTimePrekeys.Where(k => queue.All(q => q.Id != k.Id))) queue.Enqueue(key);
    }

    public async Task Publish(E2eEncryptor device, int oneTimePrekeys = E2eEncryptor.DefaultPrekeyBatch) =>
        Upload(device.Phone, await device.CreateUploadAsync(oneTimePrekeys));

    public int Remaining(string phone) => _oneTime[phone].Count;

    public Task<KeyBundle> Fetch(string phone, CancellationToken cancellationToken)
    {
        Fetches++;
        var keys = _keys[phone];
        var bundle = new KeyBundle { Phone = phone, IdentityKey = keys.IdentityKey, SignedPrekey = keys.SignedPrekey };
        if (_oneTime[phone].TryDequeue(out var oneTime)) bundle.OneTimePrekey = oneTime;
        bundle.Remaining = (uint)_oneTime[phone].Count;
        return Task.FromResult(bundle);
    }
}

/// <summary>Temporary store files for <see cref="E2eEncryptor"/>s, deleted with the test.</summary>
internal sealed class StoreFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("akkachat-e2e-").FullName;

    public string File(string phone) => System.IO.Path.Combine(Path, $"{phone.TrimStart('+')}.keys.json");

    public Task<E2eEncryptor> Open(string phone) => E2eEncryptor.OpenAsync(File(phone), phone);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
