using AkkaChat.Node.Keys.Contracts;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Node.Keys;

/// <summary>
/// One user's published keys, pure: the identity key, the current signed prekey and the stock of
/// unused one-time prekeys in upload order (handed out oldest first). Commands are decided into
/// events; <see cref="Apply"/> is the only way the state changes, on decision and on recovery alike.
/// </summary>
public sealed class KeyStoreState
{
    private readonly LinkedList<PreKey> _stock = new();
    private readonly HashSet<uint> _stockIds = new();

    public ByteString IdentityKey { get; private set; } = ByteString.Empty;

    public SignedPreKey? SignedPreKey { get; private set; }

    /// <summary>Whether the owner has uploaded keys: without them there is no bundle to serve.</summary>
    public bool HasKeys => SignedPreKey is not null;

    public int Remaining => _stock.Count;

    /// <summary>
    /// KEYS_UPLOAD (already validated): the identity and signed prekey replace the stored ones. A
    /// different identity is a new device, whose old stock is useless to it: dropped. One-time
    /// prekeys are added after the stock, skipping ids already in it (and repeated ids within the
    /// upload), and only while the stock holds fewer than <paramref name="maxStock"/>.
    /// </summary>
    public KeysStored DecideUpload(KeysUpload upload, int maxStock)
    {
        var replacedIdentity = HasKeys && !IdentityKey.Equals(upload.IdentityKey);
        var seen = replacedIdentity ? new HashSet<uint>() : new HashSet<uint>(_stockIds);
        var room = maxStock - (replacedIdentity ? 0 : _stock.Count);
        var stored = new KeysStored { IdentityKey = upload.IdentityKey, SignedPrekey = upload.SignedPrekey, ReplacedIdentity = replacedIdentity };
        foreach (var prekey in upload.OneTimePrekeys)
        {
            if (stored.Added.Count >= room)
            {
                break;
            }

            if (seen.Add(prekey.Id))
            {
                stored.Added.Add(prekey);
            }
        }

        return stored;
    }

    /// <summary>
    /// KEYS_FETCH: the bundle, and the event that consumes its one-time prekey (null when the stock
    /// is empty: the bundle then has none and the sender uses the signed prekey alone). Only valid
    /// when <see cref="HasKeys"/>. <c>remaining</c> counts the stock after this fetch.
    /// </summary>
    public (KeyBundle Bundle, PreKeyConsumed? Consumed) DecideFetch(string phone)
    {
        var bundle = new KeyBundle { Phone = phone, IdentityKey = IdentityKey, SignedPrekey = SignedPreKey };
        if (_stock.First is not { } oldest)
        {
            return (bundle, null);
        }

        bundle.OneTimePrekey = oldest.Value;
        bundle.Remaining = (uint)(_stock.Count - 1);
        return (bundle, new PreKeyConsumed { Id = oldest.Value.Id });
    }

    public void Apply(object @event)
    {
        switch (@event)
        {
            case KeysStored stored:
                if (stored.ReplacedIdentity)
                {
                    _stock.Clear();
                    _stockIds.Clear();
                }

                IdentityKey = stored.IdentityKey;
                SignedPreKey = stored.SignedPrekey;
                foreach (var prekey in stored.Added)
                {
                    if (_stockIds.Add(prekey.Id))
                    {
                        _stock.AddLast(prekey);
                    }
                }

                break;
            case PreKeyConsumed consumed:
                if (_stockIds.Remove(consumed.Id))
                {
                    for (var node = _stock.First; node is not null; node = node.Next)
                    {
                        if (node.Value.Id == consumed.Id)
                        {
                            _stock.Remove(node);
                            break;
                        }
                    }
                }

                break;
            case KeyStoreSnapshot snapshot:
                _stock.Clear();
                _stockIds.Clear();
                IdentityKey = snapshot.IdentityKey;
                SignedPreKey = snapshot.SignedPrekey;
                foreach (var prekey in snapshot.Stock)
                {
                    _stockIds.Add(prekey.Id);
                    _stock.AddLast(prekey);
                }

                break;
        }
    }

    public KeyStoreSnapshot ToSnapshot()
    {
        var snapshot = new KeyStoreSnapshot { IdentityKey = IdentityKey, SignedPrekey = SignedPreKey };
        snapshot.Stock.AddRange(_stock);
        return snapshot;
    }
}
