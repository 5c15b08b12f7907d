using AkkaChat.Client.Encryption;
using AkkaChat.Client.Internal;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Client;

/// <summary>
/// End-to-end encryption wired into the session (docs/e2e.md, "How the client uses it"), when
/// <see cref="ClientOptions.Encryption"/> is on:
/// <list type="bullet">
/// <item>the key store (<see cref="E2eEncryptor"/>) is opened before AUTH_VERIFY / AUTH_LOGIN, so a
/// DELIVER right behind AUTH_OK already decrypts;</item>
/// <item>after login the client fetches its own KEY_BUNDLE: none (NOT_FOUND), another identity or
/// another signed prekey means the node lacks this device's keys, and they are uploaded (and the
/// upload confirmed by a second fetch); a stock below 10 is topped up. KEYS_LOW is answered the same way;</item>
/// <item>sends are sealed before they enter the send queue: to a user over the pairwise session
/// (KEYS_FETCH and X3DH on the first message), to a group as one GROUP envelope with an entry per
/// member (the members from GROUP_GET at the time of the send). A resend after a reconnect
/// carries the same ciphertext;</item>
/// <item>every received envelope is decrypted before it becomes an event, and so before it can be
/// acknowledged. Failures never pass silently: <see cref="UndecryptableMessage"/> and
/// <see cref="SafetyNumberChanged"/> take the message's place (a replay, <see cref="DecryptFailure.Duplicate"/>,
/// is acknowledged without an event: it was read before).</item>
/// </list>
/// </summary>
public sealed partial class AkkaChatClient
{
    private E2eEncryptor? _e2e;
    // One KEYS_FETCH in flight at a time: KEY_BUNDLE and its errors are matched by phone.
    private readonly SemaphoreSlim _fetchLock = new(1, 1);
    private readonly object _fetchGate = new();
    private string? _fetchPhone;
    private TaskCompletionSource<KeyBundle>? _fetchAnswer;
    private int _replenishing;
    private readonly UnacknowledgedPlaintexts _unacknowledged = new();

    /// <summary>Called when an ACK up to <paramref name="upTo"/> was written.</summary>
    private void Acknowledged(ulong upTo)
    {
        if (Volatile.Read(ref _e2e) is { } e2e)
        {
            try
            {
                _unacknowledged.Prune(e2e, upTo);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // left on disk; the next write prunes it
            }
        }
    }

    /// <summary>This device's key store and sessions; null before login or with <see cref="ClientOptions.Encryption"/> off.</summary>
    public E2eEncryptor? Encryptor => Volatile.Read(ref _e2e);

    /// <summary>
    /// The 60-digit safety number with <paramref name="peer"/> (format it with <see cref="SafetyNumber.Format"/>).
    /// With no identity of the peer known yet, its bundle is fetched (KEYS_FETCH) and the number
    /// computed for the identity it holds, which is then trusted as the first message would trust it.
    /// </summary>
    /// <exception cref="InvalidOperationException">Encryption is off or the client is not logged in.</exception>
    /// <exception cref="AkkaChatException">NOT_FOUND: the peer has published no keys.</exception>
    public async Task<string> GetSafetyNumberAsync(string peer, CancellationToken ct = default)
    {
        var e2e = RequireEncryptor();
        var number = ParsePhone(peer);
        if (e2e.SafetyNumberWith(number) is { } known)
        {
            return known;
        }

        var bundle = await FetchBundleAsync(number, ct);
        var identity = VerifiedIdentity(number, bundle);
        await e2e.TrustIdentityAsync(number, identity, ct);
        return SafetyNumber.Compute(e2e.Phone, e2e.Identity, number, identity);
    }

    /// <summary>
    /// Fetches <paramref name="peer"/>'s current bundle and trusts its identity, whatever was trusted
    /// before (the user compared the new safety number, e.g. after a send failed with
    /// <see cref="SafetyNumberChangedException"/>); sessions with an older identity are dropped.
    /// Returns the safety number with the identity now trusted.
    /// </summary>
    public async Task<string> TrustCurrentIdentityAsync(string peer, CancellationToken ct = default)
    {
        var e2e = RequireEncryptor();
        var number = ParsePhone(peer);
        var identity = VerifiedIdentity(number, await FetchBundleAsync(number, ct));
        await e2e.TrustIdentityAsync(number, identity, ct);
        return SafetyNumber.Compute(e2e.Phone, e2e.Identity, number, identity);
    }

    /// <summary>
    /// The user accepted <paramref name="change"/>'s new safety number: its identity is trusted from
    /// now on (the sessions with the old one are dropped), and the message it withheld is decrypted
    /// and returned as the event it would have been (a <see cref="MessageReceived"/>, or an
    /// <see cref="UndecryptableMessage"/>); null when it withheld none.
    /// </summary>
    public async Task<ChatEvent?> AcceptSafetyNumberAsync(SafetyNumberChanged change, CancellationToken ct = default)
    {
        var e2e = RequireEncryptor();
        await e2e.TrustIdentityAsync(change.Peer, change.Presented, ct);
        return change.Withheld is { } kept ? await OpenAsync(e2e, kept, ct) : null;
    }

    /// <summary>
    /// Trusts <paramref name="presented"/> for <paramref name="peer"/> after a send failed with
    /// <see cref="SafetyNumberChangedException"/> and the user accepted it; the send can then be retried.
    /// </summary>
    public Task TrustIdentityAsync(string peer, IdentityKey presented, CancellationToken ct = default) =>
        RequireEncryptor().TrustIdentityAsync(ParsePhone(peer), presented, ct);

    private E2eEncryptor RequireEncryptor() =>
        Volatile.Read(ref _e2e) ?? throw new InvalidOperationException(Options.Encryption
            ? "log in first (VerifyAsync or LoginAsync)"
            : "end-to-end encryption is off (ClientOptions.Encryption)");

    // ---- the store and the keys on the node ----

    /// <summary>Opens the key store of <paramref name="phone"/> (creating its folder, 0700 on Unix) before a login request.</summary>
    private async Task OpenEncryptionAsync(string phone, CancellationToken ct)
    {
        if (!Options.Encryption || _e2e is { } open && open.Phone == phone)
        {
            return;
        }

        var path = Options.KeyStorePath(phone);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var previous = Interlocked.Exchange(ref _e2e, await E2eEncryptor.OpenAsync(path, phone, cancellationToken: ct));
        previous?.Dispose();
    }

    /// <summary>
    /// Makes sure the node holds this device's identity, current signed prekey and enough one-time
    /// prekeys. Never throws: a failure is an <see cref="EncryptionProblem"/> event (the login
    /// itself succeeded, and the session is kept).
    /// </summary>
    private async Task PublishKeysAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _e2e) is not { } e2e)
        {
            return;
        }

        try
        {
            var current = await e2e.CreateUploadAsync(0, ct);
            var onNode = await FetchOwnBundleAsync(e2e, ct);
            if (onNode is not null && Matches(onNode, current))
            {
                if (onNode.Remaining < E2eEncryptor.LowPrekeyWatermark)
                {
                    await WriteWhenReadyAsync(await e2e.ReplenishAsync(onNode.Remaining, ct), ct);
                }

                return;
            }

            // Not on the node (first login, or the node lost them), or an older identity / signed prekey.
            await WriteWhenReadyAsync(await e2e.CreateUploadAsync(E2eEncryptor.DefaultPrekeyBatch, ct), ct);
            var confirmed = await FetchOwnBundleAsync(e2e, ct);
            if (confirmed is null || !Matches(confirmed, current))
            {
                throw new InvalidOperationException("the node did not store the uploaded keys (see the ERROR it sent)");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested || _lifetime.IsCancellationRequested)
        {
            // disposed
        }
        catch (Exception e) when (e is not ObjectDisposedException)
        {
            await EmitAsync(0, null, () => new EncryptionProblem($"the keys of this device could not be published: {e.Message}"));
        }
    }

    private async Task<KeyBundle?> FetchOwnBundleAsync(E2eEncryptor e2e, CancellationToken ct)
    {
        try
        {
            return await FetchBundleAsync(e2e.Phone, ct);
        }
        catch (AkkaChatException e) when (e.Code == ErrorCode.NotFound)
        {
            return null;
        }
    }

    private static bool Matches(KeyBundle onNode, KeysUpload current) =>
        onNode.IdentityKey.Equals(current.IdentityKey)
        && onNode.SignedPrekey is { } signed
        && signed.PublicKey.Equals(current.SignedPrekey.PublicKey);

    /// <summary>KEYS_LOW: one top-up at a time, in the background (the read loop must not wait for it).</summary>
    private void OnKeysLow(E2eEncryptor e2e, KeysLow low)
    {
        if (Interlocked.Exchange(ref _replenishing, 1) == 1)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await WriteWhenReadyAsync(await e2e.ReplenishAsync(low.Remaining, _lifetime.Token), _lifetime.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                // disposed
            }
            catch (Exception e)
            {
                await EmitAsync(0, null, () => new EncryptionProblem($"one-time prekeys could not be replenished: {e.Message}"));
            }
            finally
            {
                Volatile.Write(ref _replenishing, 0);
            }
        });
    }

    /// <summary>KEYS_FETCH, answered by KEY_BUNDLE or ERROR{ref = phone} (NOT_FOUND, RATE_LIMITED) within <see cref="ClientOptions.RequestTimeout"/>.</summary>
    private async Task<KeyBundle> FetchBundleAsync(string peer, CancellationToken ct)
    {
        await _fetchLock.WaitAsync(ct);
        try
        {
            var answer = new TaskCompletionSource<KeyBundle>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_fetchGate)
            {
                _fetchPhone = peer;
                _fetchAnswer = answer;
            }

            await WriteWhenReadyAsync(new KeysFetch { Phone = peer }, ct);
            try
            {
                return await answer.Task.WaitAsync(Options.RequestTimeout, ct);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"the node did not answer KEYS_FETCH for {peer} within {Options.RequestTimeout.TotalSeconds:0.#} s");
            }
        }
        finally
        {
            lock (_fetchGate)
            {
                _fetchPhone = null;
                _fetchAnswer = null;
            }

            _fetchLock.Release();
        }
    }

    private bool CompleteKeyFetch(KeyBundle bundle)
    {
        lock (_fetchGate)
        {
            return bundle.Phone == _fetchPhone && _fetchAnswer!.TrySetResult(bundle);
        }
    }

    private bool FailKeyFetch(Error error)
    {
        lock (_fetchGate)
        {
            return error.Ref == _fetchPhone
                && _fetchAnswer!.TrySetException(new AkkaChatException(error.ErrorCode, error.Message, error.Ref));
        }
    }

    /// <summary>Writes a frame the node does not answer, waiting through reconnects until it is written.</summary>
    private async Task WriteWhenReadyAsync(IMessage message, CancellationToken ct)
    {
        while (!await (await WhenReadyAsync(ct)).WriteAsync(message))
        {
        }
    }

    private static IdentityKey VerifiedIdentity(string peer, KeyBundle bundle)
    {
        IdentityKey identity;
        try
        {
            identity = IdentityKey.Parse(bundle.IdentityKey.Span);
        }
        catch (FormatException e)
        {
            throw new InvalidKeyBundleException(peer, e.Message);
        }

        if (bundle.SignedPrekey is not { } signed || !identity.Verifies(signed.PublicKey.Span, signed.Signature.Span))
        {
            throw new InvalidKeyBundleException(peer, "the signed prekey's signature does not verify");
        }

        return identity;
    }

    // ---- sending ----

    // Sends are sealed and queued one at a time, in call order: the ratchet numbers messages in
    // the order they are sealed, the queue must keep the order of the SendAsync calls, and the
    // first message to a new peer (the one that fetches its bundle) makes the session the next ones use.
    private readonly SemaphoreSlim _sealing = new(1, 1);

    /// <summary>Waits for this send's turn to seal and queue; dispose once it is queued (or failed). Nothing to wait for with encryption off.</summary>
    private async Task<IDisposable> EnterSealingAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _e2e) is null)
        {
            return NoTurn.Instance;
        }

        await _sealing.WaitAsync(ct);
        return new Turn(_sealing);
    }

    private sealed class Turn(SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }

    private sealed class NoTurn : IDisposable
    {
        public static readonly NoTurn Instance = new();

        public void Dispose()
        {
        }
    }

    /// <summary>
    /// SEND.body for <paramref name="address"/>: the envelope, or <paramref name="body"/> itself with
    /// encryption off. Called before the send is queued, so the queue (and every resend) holds ciphertext.
    /// </summary>
    private async Task<ReadOnlyMemory<byte>> SealOutgoingAsync(ChatAddress address, ReadOnlyMemory<byte> body, string clientMsgId, CancellationToken ct)
    {
        if (Volatile.Read(ref _e2e) is not { } e2e)
        {
            return body;
        }

        try
        {
            if (!address.IsGroup)
            {
                var fetch = await PrefetchAsync(e2e, [address.Value], ct);
                return await e2e.EncryptAsync(address.Value, body, fetch, ct);
            }

            var group = await GetGroupAsync(address.GroupId, ct);
            var others = group.Members.Select(m => m.Phone).Where(p => p != e2e.Phone).ToArray();
            if (others.Length == 0)
            {
                throw new AkkaChatException(ErrorCode.BadRequest, $"group {address.GroupId} has no other member to encrypt for", clientMsgId);
            }

            var fetchForGroup = await PrefetchAsync(e2e, others, ct);
            return await e2e.EncryptForGroupAsync(address.Value, others, body, fetchForGroup, ct);
        }
        catch (AkkaChatException e) when (e.Ref != clientMsgId)
        {
            // KEYS_FETCH (NOT_FOUND: the recipient is not registered or published no keys; RATE_LIMITED) or GROUP_GET failed: it is this send's error.
            throw new AkkaChatException(e.Code, $"no key bundle for the recipient: {e.Message}", clientMsgId);
        }
    }

    /// <summary>
    /// Fetches the bundles of the recipients without a session before encrypting. The encryptor
    /// holds its lock while it calls the fetch, and the read loop takes that lock to decrypt a
    /// DELIVER; a fetch made under the lock would wait for a KEY_BUNDLE that the read loop, stuck
    /// behind the lock on an earlier DELIVER, cannot read. So bundles are fetched here, unlocked, and
    /// the encryptor is handed them (a bundle it does not need is one unused one-time prekey).
    /// </summary>
    private async Task<FetchKeyBundle> PrefetchAsync(E2eEncryptor e2e, IEnumerable<string> recipients, CancellationToken ct)
    {
        var fetched = new Dictionary<string, KeyBundle>(StringComparer.Ordinal);
        foreach (var recipient in recipients)
        {
            if (!e2e.HasSession(recipient))
            {
                fetched[recipient] = await FetchBundleAsync(recipient, ct);
            }
        }

        // A session dropped in between (a reset by a failed decrypt) still gets a fetch, under the lock.
        return (peer, token) => fetched.Remove(peer, out var bundle) ? Task.FromResult(bundle) : FetchBundleAsync(peer, token);
    }

    // ---- receiving ----

    /// <summary>The event for a DELIVER: decrypted if it carries an envelope (see the class summary); null = acknowledge without an event.</summary>
    private async ValueTask<ChatEvent?> OpenDeliverAsync(Deliver d)
    {
        var message = new MessageReceived(
            d.Seq, d.ServerMsgId, d.From, d.GroupId, (MessageKind)d.Kind, d.Body.Memory, d.MediaId, DateTimeOffset.FromUnixTimeMilliseconds(d.SentAtMs));
        return Volatile.Read(ref _e2e) is { } e2e ? await OpenAsync(e2e, message, _lifetime.Token, _unacknowledged) : message;
    }

    /// <param name="unacknowledged">Where decrypted messages are kept until acknowledged; null for a message already acknowledged.</param>
    private async Task<ChatEvent?> OpenAsync(E2eEncryptor e2e, MessageReceived message, CancellationToken ct, UnacknowledgedPlaintexts? unacknowledged = null)
    {
        if (!Envelope.IsEnvelope(message.Body.Span))
        {
            return message; // plaintext from a sender with encryption off: Encrypted stays false
        }

        try
        {
            var conversation = message.GroupId.Length == 0 ? null : ChatAddress.GroupPrefix + message.GroupId;
            var plaintext = await e2e.DecryptAsync(message.From, message.Body, conversation, ct);
            if (unacknowledged is not null && message.Seq > 0)
            {
                ulong acknowledged;
                lock (_gate)
                {
                    acknowledged = _connection?.AckedUpTo ?? 0;
                }

                try
                {
                    unacknowledged.Add(e2e, message.ServerMsgId, message.Seq, plaintext, acknowledged);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // shown anyway; only a redelivery after a stop before its ACK would now be dropped
                }
            }

            return message with { Body = plaintext, Encrypted = true };
        }
        catch (DecryptionFailedException e) when (e.Reason == DecryptFailure.Duplicate)
        {
            // Its message key was used: this device decrypted it before. If that was not
            // acknowledged (the app stopped first), the node sent it again and it is shown again.
            return unacknowledged?.Find(e2e, message.ServerMsgId) is { } kept ? message with { Body = kept, Encrypted = true } : null;
        }
        catch (DecryptionFailedException e)
        {
            // It can never decrypt later. A broken session is dropped so that the next send starts a fresh one.
            if (e.Reason is not DecryptFailure.NotAddressedToMe)
            {
                await e2e.ResetSessionAsync(message.From, ct);
            }

            return new UndecryptableMessage(message.Seq, message.ServerMsgId, message.From, message.GroupId, message.Kind, e.Reason, e.Message, message.SentAt);
        }
        catch (SafetyNumberChangedException e)
        {
            return new SafetyNumberChanged(message.Seq, e.Peer, e.SafetyNumber, e.Presented, message);
        }
    }
}

/// <summary>
/// A message that arrived encrypted and cannot be decrypted (forged, altered, of a session this
/// device no longer has, ...): it is acknowledged, and the session with <see cref="From"/> is reset
/// so that the next message starts a new one. <see cref="Reason"/> says why.
/// </summary>
public sealed record UndecryptableMessage(
    ulong Seq,
    string ServerMsgId,
    string From,
    string GroupId,
    MessageKind Kind,
    DecryptFailure Reason,
    string Detail,
    DateTimeOffset SentAt) : ChatEvent(Seq);

/// <summary>
/// <see cref="Peer"/> presented an identity key that is not the one this device trusts (a new
/// device, a reinstall, or a node substituting keys). <see cref="Withheld"/> is the message that
/// carried it, still encrypted; it is acknowledged like any event, so keep this event until the user
/// decides. <see cref="AkkaChatClient.AcceptSafetyNumberAsync"/> trusts the new identity and decrypts it.
/// </summary>
public sealed record SafetyNumberChanged(ulong Seq, string Peer, string SafetyNumber, IdentityKey Presented, MessageReceived? Withheld) : ChatEvent(Seq);

/// <summary>Something about end-to-end encryption went wrong outside a call of the application (publishing or replenishing keys).</summary>
public sealed record EncryptionProblem(string Message) : ChatEvent(0UL);
