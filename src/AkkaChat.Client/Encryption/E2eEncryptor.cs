using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Client.Encryption;

/// <summary>Asks the node for a peer's KEY_BUNDLE (KEYS_FETCH); the encryptor calls it when it has no session with the peer.</summary>
public delegate Task<KeyBundle> FetchKeyBundle(string peer, CancellationToken cancellationToken);

/// <summary>
/// End-to-end encryption for one user on one device: X3DH to start a session, the Double Ratchet
/// for every message, sessions and keys in one file (see <see cref="SessionStore"/>), and the
/// identity of each peer trusted on first use and never replaced silently.
/// <para>
/// It speaks in protocol messages and bodies and knows nothing of connections: the client sends
/// <see cref="CreateUploadAsync"/>'s KEYS_UPLOAD, puts <see cref="EncryptAsync"/>'s bytes in
/// SEND.body, and passes DELIVER.body to <see cref="DecryptAsync"/>. Every method that changes
/// state has persisted it when it returns, so a DELIVER is acknowledged only after the
/// ratchet step that read it is on disk. Calls are serialised; the instance is thread-safe.
/// </para>
/// </summary>
public sealed class E2eEncryptor : IDisposable
{
    /// <summary>Below this many one-time prekeys (the node's KEYS_LOW threshold) <see cref="NeedsMorePrekeys"/> is true.</summary>
    public const int LowPrekeyWatermark = 10;
    /// <summary>How many one-time prekeys <see cref="CreateUploadAsync"/> makes by default, and what <see cref="ReplenishAsync"/> tops up to.</summary>
    public const int DefaultPrekeyBatch = 100;
    /// <summary>At most this many one-time prekeys per upload (about 40 bytes each in a frame of at most 65,535).</summary>
    public const int MaxPrekeyBatch = 1000;
    /// <summary>One-time prekey private parts kept; past it the oldest are forgotten.</summary>
    public const int MaxStoredOneTimePrekeys = 2000;
    /// <summary>Signed prekeys kept after a rotation, for PreKey envelopes still in flight.</summary>
    public const int KeptSignedPrekeys = 3;
    /// <summary>Sessions kept per peer (the current one and older ones, for simultaneous starts and late messages).</summary>
    public const int KeptSessionsPerPeer = 4;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _path;
    private readonly TimeProvider _clock;
    private E2eState _state;

    private E2eEncryptor(string path, E2eState state, TimeProvider clock)
    {
        _path = path;
        _state = state;
        _clock = clock;
    }

    /// <summary>The store file this encryptor reads and writes.</summary>
    public string StorePath => _path;

    /// <summary>This user's phone number.</summary>
    public string Phone => _state.Phone;

    /// <summary>This device's public identity, as KEYS_UPLOAD carries it.</summary>
    public IdentityKey Identity => _state.Identity.Public;

    /// <summary>One-time prekeys made and not yet used by a peer's PreKey envelope.</summary>
    public int UnusedOneTimePrekeys => _state.OneTimePreKeys.Count;

    /// <summary>Whether fewer than <see cref="LowPrekeyWatermark"/> one-time prekeys are left (send <see cref="ReplenishAsync"/>'s upload).</summary>
    public bool NeedsMorePrekeys => UnusedOneTimePrekeys < LowPrekeyWatermark;

    /// <summary>
    /// Opens the encryption state of <paramref name="phone"/> in <paramref name="path"/>, or makes a new
    /// identity and signed prekey and stores them there if the file does not exist.
    /// </summary>
    public static Task<E2eEncryptor> OpenAsync(string path, string phone, TimeProvider? clock = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!PhoneNumber.IsValid(phone)) throw new ArgumentException($"'{phone}' is not a phone number.", nameof(phone));
        clock ??= TimeProvider.System;
        cancellationToken.ThrowIfCancellationRequested();
        var state = SessionStore.Load(path);
        if (state is null)
        {
            state = new E2eState { Phone = phone, Identity = IdentityKeyPair.Generate() };
            state.SignedPreKeys.Add(NewSignedPreKey(state, clock));
            SessionStore.Save(path, state);
        }
        else if (state.Phone != phone)
        {
            throw new InvalidOperationException($"{path} holds the keys of {state.Phone}, not {phone}.");
        }
        return Task.FromResult(new E2eEncryptor(path, state, clock));
    }

    /// <summary>
    /// A KEYS_UPLOAD with the identity, the current signed prekey and <paramref name="oneTimePrekeys"/>
    /// new one-time prekeys, whose private parts are stored before this returns.
    /// </summary>
    public Task<KeysUpload> CreateUploadAsync(int oneTimePrekeys = DefaultPrekeyBatch, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(oneTimePrekeys);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(oneTimePrekeys, MaxPrekeyBatch);
        return Locked(cancellationToken, () =>
        {
            var fresh = new List<OneTimePreKeyRecord>(oneTimePrekeys);
            for (var i = 0; i < oneTimePrekeys; i++)
            {
                var pair = DhKeyPair.Generate();
                fresh.Add(new OneTimePreKeyRecord(_state.NextPreKeyId++, pair.Private, pair.Public));
            }
            _state.OneTimePreKeys.AddRange(fresh);
            if (_state.OneTimePreKeys.Count > MaxStoredOneTimePrekeys)
                _state.OneTimePreKeys.RemoveRange(0, _state.OneTimePreKeys.Count - MaxStoredOneTimePrekeys);
            Persist();
            return Upload(fresh);
        });
    }

    /// <summary>The upload that brings the node back to <see cref="DefaultPrekeyBatch"/> one-time prekeys, given KEYS_LOW.remaining (or KEY_BUNDLE.remaining of one's own).</summary>
    public Task<KeysUpload> ReplenishAsync(uint remainingOnNode, CancellationToken cancellationToken = default) =>
        CreateUploadAsync(Math.Max(0, DefaultPrekeyBatch - (int)Math.Min(remainingOnNode, DefaultPrekeyBatch)), cancellationToken);

    /// <summary>Makes a new signed prekey (keeping the previous <see cref="KeptSignedPrekeys"/>-1) and returns the upload that publishes it.</summary>
    public Task<KeysUpload> RotateSignedPrekeyAsync(CancellationToken cancellationToken = default) => Locked(cancellationToken, () =>
    {
        _state.SignedPreKeys.Add(NewSignedPreKey(_state, _clock));
        if (_state.SignedPreKeys.Count > KeptSignedPrekeys) _state.SignedPreKeys.RemoveAt(0);
        Persist();
        return Upload([]);
    });

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> for <paramref name="peer"/> and returns SEND.body. Without a
    /// session it fetches the peer's bundle and runs X3DH; the envelope is then a PreKey envelope
    /// (and so are the following ones, until the peer answers).
    /// </summary>
    /// <exception cref="SafetyNumberChangedException">The bundle's identity is not the trusted one.</exception>
    /// <exception cref="InvalidKeyBundleException">The bundle is malformed or its signature does not verify.</exception>
    public Task<byte[]> EncryptAsync(string peer, ReadOnlyMemory<byte> plaintext, FetchKeyBundle fetchBundle, CancellationToken cancellationToken = default)
    {
        RequirePhone(peer);
        ArgumentNullException.ThrowIfNull(fetchBundle);
        return LockedAsync(cancellationToken, async () =>
        {
            var envelope = await SealFor(peer, plaintext, "", fetchBundle, cancellationToken).ConfigureAwait(false);
            Persist();
            return envelope;
        });
    }

    /// <summary>
    /// Encrypts once per member, pairwise (no sender keys), and returns the group envelope for one
    /// SEND to <paramref name="groupAddress"/>. The sender itself is left out if listed.
    /// </summary>
    public Task<byte[]> EncryptForGroupAsync(string groupAddress, IEnumerable<string> members, ReadOnlyMemory<byte> plaintext,
        FetchKeyBundle fetchBundle, CancellationToken cancellationToken = default)
    {
        if (!ChatAddress.TryParse(groupAddress, out var address) || !address.IsGroup)
            throw new ArgumentException($"'{groupAddress}' is not a group address.", nameof(groupAddress));
        var recipients = members.Distinct(StringComparer.Ordinal).Where(m => m != Phone).ToList();
        foreach (var member in recipients) RequirePhone(member);
        if (recipients.Count == 0) throw new ArgumentException("A group message needs at least one other member.", nameof(members));
        return LockedAsync(cancellationToken, async () =>
        {
            var entries = new List<(string, byte[])>(recipients.Count);
            foreach (var member in recipients)
                entries.Add((member, await SealFor(member, plaintext, groupAddress, fetchBundle, cancellationToken).ConfigureAwait(false)));
            var envelope = Envelope.WriteGroup(entries);
            Persist();
            return envelope;
        });
    }

    /// <summary>
    /// Decrypts DELIVER.body from <paramref name="from"/> (with <paramref name="groupAddress"/> = DELIVER.group_id
    /// as "g:id" for a group message). On any exception nothing changed.
    /// </summary>
    /// <exception cref="DecryptionFailedException">The envelope is malformed, forged, a replay, or of no known session.</exception>
    /// <exception cref="SafetyNumberChangedException">A PreKey envelope comes with an identity that is not the trusted one.</exception>
    public Task<byte[]> DecryptAsync(string from, ReadOnlyMemory<byte> body, string? groupAddress = null, CancellationToken cancellationToken = default)
    {
        RequirePhone(from);
        return Locked(cancellationToken, () =>
        {
            var envelopeBytes = body;
            var conversation = "";
            if (groupAddress is not null)
            {
                envelopeBytes = Envelope.FindGroupEntry(body.Span, Phone)
                    ?? throw new DecryptionFailedException(DecryptFailure.NotAddressedToMe, $"The group envelope holds nothing for {Phone}.");
                conversation = groupAddress;
            }
            var envelope = Envelope.Parse(envelopeBytes.Span);
            var record = Peer(from);
            var plaintext = envelope.Type == EnvelopeType.PreKey
                ? OpenPreKeyEnvelope(from, record, envelope, conversation)
                : OpenNormalEnvelope(record, envelope, conversation);
            Persist();
            return plaintext;
        });
    }

    /// <summary>
    /// Whether a session with <paramref name="peer"/> exists, so that <see cref="EncryptAsync"/> would not
    /// fetch a bundle. A hint (read without the lock): a caller whose fetch needs a free network
    /// reader fetches before encrypting when this is false.
    /// </summary>
    public bool HasSession(string peer) => _state.Peers.TryGetValue(peer, out var record) && record.Sessions.Count > 0;

    /// <summary>The identity this device trusts for <paramref name="peer"/>, or null if it has seen none.</summary>
    public IdentityKey? TrustedIdentity(string peer) =>
        _state.Peers.TryGetValue(peer, out var record) && record.TrustedIdentity is { } bytes ? IdentityKey.Parse(bytes) : null;

    /// <summary>The 60-digit safety number with <paramref name="peer"/>'s trusted identity, or null if none is known yet.</summary>
    public string? SafetyNumberWith(string peer) =>
        TrustedIdentity(peer) is { } identity ? SafetyNumber.Compute(Phone, Identity, peer, identity) : null;

    /// <summary>
    /// Trusts <paramref name="identity"/> for <paramref name="peer"/> (the user accepted a changed safety
    /// number) and drops the sessions made with the previous identity.
    /// </summary>
    public Task TrustIdentityAsync(string peer, IdentityKey identity, CancellationToken cancellationToken = default)
    {
        RequirePhone(peer);
        ArgumentNullException.ThrowIfNull(identity);
        return Locked(cancellationToken, () =>
        {
            var record = Peer(peer);
            if (record.TrustedIdentity is { } old && !identity.Equals(IdentityKey.Parse(old))) record.Sessions.Clear();
            record.TrustedIdentity = identity.ToByteArray();
            Persist();
            return true;
        });
    }

    /// <summary>Forgets the sessions with <paramref name="peer"/> (not the trusted identity): the next message runs X3DH again.</summary>
    public Task ResetSessionAsync(string peer, CancellationToken cancellationToken = default) => Locked(cancellationToken, () =>
    {
        Peer(peer).Sessions.Clear();
        Persist();
        return true;
    });

    public void Dispose() => _gate.Dispose();

    private async Task<byte[]> SealFor(string peer, ReadOnlyMemory<byte> plaintext, string conversation, FetchKeyBundle fetchBundle, CancellationToken cancellationToken)
    {
        var record = Peer(peer);
        var session = record.Sessions.FirstOrDefault();
        if (session is null)
        {
            var bundle = await fetchBundle(peer, cancellationToken).ConfigureAwait(false);
            var verified = X3dh.Verify(peer, bundle);
            RequireTrusted(peer, record, verified.Identity);
            var (sharedKey, baseKey, ad) = X3dh.Initiate(_state.Identity, verified);
            session = DoubleRatchet.InitiatorSession(sharedKey, ad, verified.SignedPreKey,
                new PendingPreKey(verified.SignedPreKeyId, verified.OneTimePreKeyId, baseKey.Public));
            record.TrustedIdentity ??= verified.Identity.ToByteArray();
            record.Sessions.Insert(0, session);
            TrimSessions(record);
        }
        return DoubleRatchet.Encrypt(session, Identity, plaintext.Span, conversation);
    }

    private byte[] OpenPreKeyEnvelope(string from, PeerRecord record, ParsedEnvelope envelope, string conversation)
    {
        var preKey = envelope.PreKey!;
        RequireTrusted(from, record, preKey.SenderIdentity);
        var sender = preKey.SenderIdentity.ToByteArray();

        // A session this X3DH already made (the initiator repeats the PreKey header until answered).
        var existing = record.Sessions.FindIndex(s =>
            s.BaseKey.AsSpan().SequenceEqual(preKey.BaseKey) && s.AssociatedData.AsSpan(0, IdentityKey.Length).SequenceEqual(sender));
        if (existing >= 0) return OpenWith(record, existing, envelope, conversation);

        var signed = _state.SignedPreKeys.Find(k => k.Id == preKey.SignedPreKeyId)
            ?? throw new DecryptionFailedException(DecryptFailure.UnknownPreKey, $"Signed prekey {preKey.SignedPreKeyId} is not held (rotated out).");
        OneTimePreKeyRecord? oneTime = null;
        if (preKey.OneTimePreKeyId is { } id)
            oneTime = _state.OneTimePreKeys.Find(k => k.Id == id)
                ?? throw new DecryptionFailedException(DecryptFailure.UnknownPreKey, $"One-time prekey {id} is not held (already used).");

        byte[] sharedKey, ad;
        try { (sharedKey, ad) = X3dh.Respond(_state.Identity, signed.Private, oneTime?.Private, preKey.SenderIdentity, preKey.BaseKey); }
        catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException)
        {
            throw new DecryptionFailedException(DecryptFailure.Malformed, $"The PreKey envelope's base key is unusable: {e.Message}");
        }
        var session = DoubleRatchet.ResponderSession(sharedKey, ad, preKey.BaseKey, signed.Private, signed.Public);
        var plaintext = DoubleRatchet.Decrypt(session, envelope, conversation);

        if (oneTime is not null) _state.OneTimePreKeys.Remove(oneTime);
        record.TrustedIdentity ??= sender;
        record.Sessions.Insert(0, session);
        TrimSessions(record);
        return plaintext;
    }

    private static byte[] OpenNormalEnvelope(PeerRecord record, ParsedEnvelope envelope, string conversation)
    {
        if (record.Sessions.Count == 0)
            throw new DecryptionFailedException(DecryptFailure.NoSession, "No session with this peer; it must start one with a PreKey envelope.");
        // The session that knows the header's ratchet key decides; otherwise try each (a ratchet step of the peer).
        var key = envelope.Header.RatchetKey;
        var knowing = record.Sessions.FindIndex(s => Knows(s, key));
        if (knowing >= 0) return OpenWith(record, knowing, envelope, conversation);
        DecryptionFailedException? first = null;
        for (var i = 0; i < record.Sessions.Count; i++)
        {
            try { return OpenWith(record, i, envelope, conversation); }
            catch (DecryptionFailedException e) { first ??= e; }
        }
        throw first!;
    }

    private static bool Knows(RatchetSession session, byte[] ratchetKey) =>
        (session.RemoteRatchetKey is { } remote && remote.AsSpan().SequenceEqual(ratchetKey))
        || session.RetiredRemoteRatchetKeys.Exists(k => k.AsSpan().SequenceEqual(ratchetKey))
        || session.Skipped.Exists(k => k.RatchetKey.AsSpan().SequenceEqual(ratchetKey));

    /// <summary>Decrypts on a copy of session <paramref name="index"/>; on success the copy replaces it and becomes current.</summary>
    private static byte[] OpenWith(PeerRecord record, int index, ParsedEnvelope envelope, string conversation)
    {
        var copy = record.Sessions[index].Clone();
        var plaintext = DoubleRatchet.Decrypt(copy, envelope, conversation);
        record.Sessions.RemoveAt(index);
        record.Sessions.Insert(0, copy);
        return plaintext;
    }

    private void RequireTrusted(string peer, PeerRecord record, IdentityKey presented)
    {
        if (record.TrustedIdentity is { } trustedBytes && !presented.Equals(IdentityKey.Parse(trustedBytes)))
        {
            var trusted = IdentityKey.Parse(trustedBytes);
            throw new SafetyNumberChangedException(peer, trusted, presented, SafetyNumber.Compute(Phone, Identity, peer, presented));
        }
    }

    private static void TrimSessions(PeerRecord record)
    {
        if (record.Sessions.Count > KeptSessionsPerPeer) record.Sessions.RemoveRange(KeptSessionsPerPeer, record.Sessions.Count - KeptSessionsPerPeer);
    }

    private PeerRecord Peer(string phone)
    {
        if (!_state.Peers.TryGetValue(phone, out var record)) _state.Peers[phone] = record = new PeerRecord();
        return record;
    }

    private KeysUpload Upload(IEnumerable<OneTimePreKeyRecord> oneTime)
    {
        var signed = _state.SignedPreKeys[^1];
        var upload = new KeysUpload
        {
            IdentityKey = ByteString.CopyFrom(Identity.ToByteArray()),
            SignedPrekey = new SignedPreKey { Id = signed.Id, PublicKey = ByteString.CopyFrom(signed.Public), Signature = ByteString.CopyFrom(signed.Signature) },
        };
        upload.OneTimePrekeys.AddRange(oneTime.Select(k => new PreKey { Id = k.Id, PublicKey = ByteString.CopyFrom(k.Public) }));
        return upload;
    }

    private static SignedPreKeyRecord NewSignedPreKey(E2eState state, TimeProvider clock)
    {
        var pair = DhKeyPair.Generate();
        var id = state.SignedPreKeys.Count == 0 ? 1 : state.SignedPreKeys[^1].Id + 1;
        return new SignedPreKeyRecord(id, pair.Private, pair.Public, Primitives.Sign(state.Identity.SigningSeed, pair.Public),
            clock.GetUtcNow().ToUnixTimeMilliseconds());
    }

    /// <summary>Writes the state; if that fails, the state in memory goes back to what is on disk, so memory never runs ahead of the file.</summary>
    private void Persist()
    {
        try { SessionStore.Save(_path, _state); }
        catch
        {
            _state = SessionStore.Load(_path) ?? _state;
            throw;
        }
    }

    private static void RequirePhone(string phone)
    {
        if (!PhoneNumber.IsValid(phone)) throw new ArgumentException($"'{phone}' is not a phone number.", nameof(phone));
    }

    private async Task<T> Locked<T>(CancellationToken cancellationToken, Func<T> action)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { return action(); }
        catch (DecryptionFailedException) { Reload(); throw; }
        catch (SafetyNumberChangedException) { Reload(); throw; }
        finally { _gate.Release(); }
    }

    private async Task<T> LockedAsync<T>(CancellationToken cancellationToken, Func<Task<T>> action)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { return await action().ConfigureAwait(false); }
        catch { Reload(); throw; }
        finally { _gate.Release(); }
    }

    /// <summary>After a failed operation, memory returns to the last saved state (an aborted group send leaves no half-made sessions).</summary>
    private void Reload() => _state = SessionStore.Load(_path) ?? _state;
}
