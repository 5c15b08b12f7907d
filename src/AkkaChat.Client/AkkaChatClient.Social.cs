using System.Collections.Concurrent;
using AkkaChat.Client.Wire;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Client;

// Presence, typing, contacts and 24-hour statuses (PROTOCOL.md "Presence and typing", "Contacts and
// status"). Presence and typing are not queued: PRESENCE and TYPING_NOTIFY reach a connected session
// only, so a subscription is made again on every connection of the session. CONTACTS_SYNC replaces
// the address book and STATUS_POST is idempotent by request_id, so both are written again after a
// lost connection until they are answered.
public sealed partial class AkkaChatClient
{
    private readonly object _presenceGate = new();
    // Every number this session watches, in the order first subscribed. Guarded by _presenceGate.
    private readonly List<string> _watched = new();
    private readonly HashSet<string> _watchedSet = new(StringComparer.Ordinal);
    private Task? _resubscriber;

    // CONTACTS_RESULT carries no request id: one sync at a time, answered by the next result.
    private readonly SemaphoreSlim _contactsLock = new(1, 1);
    private TaskCompletionSource<IReadOnlyList<string>>? _contactsAnswer;

    // STATUS_POSTs waiting for their SEND_ACK (client_msg_id = request_id) or ERROR (ref = request_id).
    private readonly ConcurrentDictionary<string, TaskCompletionSource<SendAck>> _statusPosts = new(StringComparer.Ordinal);

    /// <summary>The numbers this session watches (<see cref="SubscribePresenceAsync"/>), in the order first subscribed.</summary>
    public IReadOnlyList<string> WatchedPresence
    {
        get
        {
            lock (_presenceGate)
            {
                return _watched.ToArray();
            }
        }
    }

    /// <summary>
    /// PRESENCE_SUBSCRIBE: the node answers at once with one <see cref="PresenceChanged"/> per number,
    /// then one on each change. Numbers outside this user's synced address book are answered offline
    /// with no last seen and never change (the node's privacy rule, docs/presence.md). Subscriptions
    /// end with the connection, so the client subscribes again to every number watched so far after
    /// each reconnect, and the node answers the current state again. Completes once the subscription is
    /// written (waiting through reconnects). Throws BAD_REQUEST for a number that is not E.164.
    /// </summary>
    public async Task SubscribePresenceAsync(IEnumerable<string> phones, CancellationToken ct = default)
    {
        var numbers = phones.Select(ParsePhone).Distinct(StringComparer.Ordinal).ToArray();
        if (numbers.Length == 0)
        {
            return;
        }

        lock (_presenceGate)
        {
            foreach (var number in numbers)
            {
                if (_watchedSet.Add(number))
                {
                    _watched.Add(number);
                }
            }
        }

        var subscribe = new PresenceSubscribe { Phones = { numbers } };
        while (true)
        {
            var connection = await WhenReadyAsync(ct);
            if (await connection.WriteAsync(subscribe))
            {
                lock (_presenceGate)
                {
                    // From the next connection on, the resubscriber subscribes to everything watched.
                    _resubscriber ??= Task.Run(() => ResubscribeAsync(connection));
                }

                return;
            }
        }
    }

    /// <summary>On each connection of the session after <paramref name="subscribedOn"/>: PRESENCE_SUBSCRIBE with every number watched.</summary>
    private async Task ResubscribeAsync(WireConnection subscribedOn)
    {
        var last = subscribedOn;
        try
        {
            while (true)
            {
                await last.Closed.WaitAsync(_lifetime.Token);
                var next = await WhenReadyAsync(_lifetime.Token);
                if (ReferenceEquals(next, last))
                {
                    continue;
                }

                string[] all;
                lock (_presenceGate)
                {
                    all = _watched.ToArray();
                }

                // Within one frame: a phone is at most 16 bytes plus 2 of framing, so 3,600 fit.
                foreach (var chunk in all.Chunk(3_000))
                {
                    if (!await next.WriteAsync(new PresenceSubscribe { Phones = { chunk } }))
                    {
                        break; // lost again: the next connection gets them all
                    }
                }

                last = next;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or AkkaChatException)
        {
            // disposed, or the session ended
        }
    }

    /// <summary>
    /// TYPING to a user or a group (<c>g:id</c>): the peer sees <see cref="TypingChanged"/> if it is
    /// connected. Typing is ephemeral, so nothing waits: false when the session has no open
    /// connection right now (the indicator is dropped, as the node drops it for an offline peer).
    /// Send COMPOSING (or RECORDING) while the user types, and PAUSED when they stop.
    /// </summary>
    public async Task<bool> SendTypingAsync(string to, TypingState state, CancellationToken ct = default)
    {
        if (!ChatAddress.TryParse(to, out var address))
        {
            throw new AkkaChatException(ErrorCode.BadRequest, $"'{to}' is neither an E.164 phone number (+ then 8 to 15 digits) nor a group address (g:id)");
        }

        if (!Enum.IsDefined(state))
        {
            throw new AkkaChatException(ErrorCode.BadRequest, $"typing state {(uint)state} is not 0 PAUSED, 1 COMPOSING or 2 RECORDING");
        }

        ct.ThrowIfCancellationRequested();
        WireConnection? connection;
        lock (_gate)
        {
            ThrowIfUnusable();
            if (_credentials is null)
            {
                throw new InvalidOperationException("log in first (VerifyAsync or LoginAsync)");
            }

            connection = _ready ? _connection : null;
        }

        return connection is not null && await connection.WriteAsync(new Typing { To = address.Value, State = (uint)state });
    }

    /// <summary>
    /// CONTACTS_SYNC: replaces this user's address book on the node with <paramref name="phones"/>
    /// (the book decides whose presence it may watch and who gets its statuses) and returns the
    /// registered numbers among them, in the order sent. The node skips numbers that are not E.164,
    /// duplicates and the user's own number. One sync at a time; one written just before a
    /// connection is lost is written again on the next (a sync replaces, so twice is once). Throws
    /// TOO_LARGE when the numbers do not fit in one frame (about 3,600), and BAD_REQUEST when the
    /// node refuses the sync (more than its <c>akkachat.contacts.max-sync</c>).
    /// </summary>
    public async Task<IReadOnlyList<string>> SyncContactsAsync(IEnumerable<string> phones, CancellationToken ct = default)
    {
        var sync = new ContactsSync { Phones = { phones.Select(p => p.Trim()).Where(p => p.Length > 0) } };
        if (sync.CalculateSize() > FrameLayout.MaxPayloadSize)
        {
            throw new AkkaChatException(ErrorCode.TooLarge, $"{sync.Phones.Count} numbers do not fit in one CONTACTS_SYNC frame ({FrameLayout.MaxPayloadSize} bytes)");
        }

        await _contactsLock.WaitAsync(ct);
        try
        {
            while (true)
            {
                var connection = await WhenReadyAsync(ct);
                var answer = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _contactsAnswer, answer);
                if (!await connection.WriteAsync(sync))
                {
                    continue;
                }

                var first = await Task.WhenAny(answer.Task, connection.Closed).WaitAsync(ct);
                if (first == answer.Task)
                {
                    return await answer.Task;
                }
            }
        }
        finally
        {
            Volatile.Write(ref _contactsAnswer, null);
            _contactsLock.Release();
        }
    }

    /// <summary>STATUS_POST of a text status; see <see cref="PostStatusAsync(MessageKind, ReadOnlyMemory{byte}, string?, string?, CancellationToken)"/>.</summary>
    public Task<SendAck> PostStatusAsync(string text, string? requestId = null, CancellationToken ct = default) =>
        PostStatusAsync(MessageKind.Text, System.Text.Encoding.UTF8.GetBytes(text), null, requestId, ct);

    /// <summary>
    /// STATUS_POST: a 24-hour status (text, or a medium uploaded first and named by
    /// <paramref name="mediaId"/>, with an optional caption in <paramref name="body"/>) for every
    /// registered mutual contact. Returns the SEND_ACK: <c>ClientMsgId</c> = the request id,
    /// <c>ServerMsgId</c> = the status id, <c>ServerTimeMs</c> = when it was posted (it expires 24 h
    /// later). The node answers once every contact's queue holds it. <paramref name="requestId"/>
    /// defaults to a new UUIDv7; the node answers a repeated request id with the status stored
    /// first, so a post is written again after a lost connection and is still posted once. Throws
    /// <see cref="AkkaChatException"/> for the node's ERROR (BAD_REQUEST, RATE_LIMITED, INTERNAL when
    /// the fan-out timed out: post again with the same request id).
    /// </summary>
    public async Task<SendAck> PostStatusAsync(MessageKind kind, ReadOnlyMemory<byte> body, string? mediaId = null, string? requestId = null, CancellationToken ct = default)
    {
        requestId ??= Guid.CreateVersion7().ToString("N");
        if (requestId.Length is 0 or > 128)
        {
            throw new AkkaChatException(ErrorCode.BadRequest, "request_id must be 1 to 128 characters", requestId);
        }

        if (!Enum.IsDefined(kind))
        {
            throw new AkkaChatException(ErrorCode.BadRequest, $"kind {(uint)kind} is not 1 to 7", requestId);
        }

        if (body.IsEmpty && string.IsNullOrEmpty(mediaId))
        {
            throw new AkkaChatException(ErrorCode.BadRequest, "a status needs a body or a media_id", requestId);
        }

        var post = new StatusPost { RequestId = requestId, Kind = (uint)kind, Body = ByteString.CopyFrom(body.Span), MediaId = mediaId ?? string.Empty };
        if (post.CalculateSize() > FrameLayout.MaxPayloadSize)
        {
            throw new AkkaChatException(ErrorCode.TooLarge, $"the status does not fit in one frame ({FrameLayout.MaxPayloadSize} bytes); post large content as media", requestId);
        }

        var answer = new TaskCompletionSource<SendAck>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_statusPosts.TryAdd(requestId, answer))
        {
            throw new InvalidOperationException($"a status post with request_id {requestId} is already pending");
        }

        try
        {
            while (true)
            {
                var connection = await WhenReadyAsync(ct);
                if (!await connection.WriteAsync(post))
                {
                    continue;
                }

                var first = await Task.WhenAny(answer.Task, connection.Closed).WaitAsync(ct);
                if (first == answer.Task)
                {
                    return await answer.Task;
                }
            }
        }
        finally
        {
            _statusPosts.TryRemove(requestId, out _);
        }
    }

    // ---- answers, called by the inbound frame handler ----

    private bool CompleteStatusPost(SendAck ack) =>
        _statusPosts.TryRemove(ack.ClientMsgId, out var answer) && answer.TrySetResult(ack);

    private bool FailStatusPost(Error error) =>
        _statusPosts.TryRemove(error.Ref, out var answer) && answer.TrySetException(new AkkaChatException(error.ErrorCode, error.Message, error.Ref));

    private void CompleteContactsSync(ContactsResult result) =>
        Volatile.Read(ref _contactsAnswer)?.TrySetResult(result.Registered.ToArray());

    /// <summary>The node refuses an oversized CONTACTS_SYNC with a BAD_REQUEST that has no ref; it fails the sync waiting, if one is.</summary>
    private bool FailContactsSync(Error error) =>
        error.ErrorCode == ErrorCode.BadRequest
        && Volatile.Read(ref _contactsAnswer) is { Task.IsCompleted: false } answer
        && answer.TrySetException(new AkkaChatException(error.ErrorCode, error.Message));
}
