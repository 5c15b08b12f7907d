using AkkaChat.Client.Wire;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Client;

/// <summary>The outgoing send queue: SEND frames in call order, at most MaxPendingSends unanswered, written again after a reconnect.</summary>
public sealed partial class AkkaChatClient
{
    // ---- sending ----

    /// <summary>SEND a UTF-8 text message; see <see cref="SendAsync"/>.</summary>
    public Task<SendAck> SendTextAsync(string to, string text, string? clientMsgId = null, CancellationToken ct = default) =>
        SendAsync(to, MessageKind.Text, System.Text.Encoding.UTF8.GetBytes(text), null, clientMsgId, ct);

    /// <summary>
    /// SEND to a user (E.164 phone number) or group (<c>g:id</c>) and wait for its SEND_ACK, which the
    /// node gives once the message is stored durably. <paramref name="clientMsgId"/> defaults to a new
    /// UUIDv7; a send is written again under the same id after a reconnect, so it is delivered once.
    /// <para>
    /// SEND frames go out in the order of the SendAsync calls, also when they are written again after
    /// a reconnect, so one recipient gets them in that order. At most
    /// <see cref="ClientOptions.MaxPendingSends"/> are written and unanswered at a time; later calls
    /// wait, in call order, for room, and every call waits through reconnects. Throws <see cref="AkkaChatException"/> for an ERROR about this send
    /// (NOT_FOUND, RATE_LIMITED, BAD_REQUEST, TOO_LARGE) or when the session ends (REPLACED,
    /// AUTH_FAILED). Cancelling stops the waiting and the retries; a SEND already written may still
    /// be delivered.
    /// </para>
    /// <para>
    /// With <see cref="ClientOptions.Encryption"/> on, <paramref name="body"/> is encrypted first
    /// (see .Encryption); a recipient without published keys fails the send with NOT_FOUND, and an
    /// identity change with <see cref="Encryption.SafetyNumberChangedException"/>.
    /// </para>
    /// </summary>
    public async Task<SendAck> SendAsync(string to, MessageKind kind, ReadOnlyMemory<byte> body, string? mediaId = null, string? clientMsgId = null, CancellationToken ct = default)
    {
        if (!ChatAddress.TryParse(to, out var address))
        {
            throw new AkkaChatException(ErrorCode.BadRequest, $"'{to}' is neither an E.164 phone number (+ then 8 to 15 digits) nor a group address (g:id)", clientMsgId ?? string.Empty);
        }

        clientMsgId ??= Guid.CreateVersion7().ToString("N");
        if (clientMsgId.Length == 0 || clientMsgId.Length > Options.MaxClientMsgIdLength)
        {
            throw new AkkaChatException(ErrorCode.BadRequest, $"client_msg_id must be 1 to {Options.MaxClientMsgIdLength} characters", clientMsgId);
        }

        // With encryption on: the envelope, sealed and queued in call order (see .Encryption).
        using var sealing = await EnterSealingAsync(ct);
        body = await SealOutgoingAsync(address, body, clientMsgId, ct);
        var message = new Send { ClientMsgId = clientMsgId, To = address.Value, Kind = (uint)kind, Body = ByteString.CopyFrom(body.Span), MediaId = mediaId ?? string.Empty };
        if (message.CalculateSize() > FrameLayout.MaxPayloadSize)
        {
            throw new AkkaChatException(ErrorCode.TooLarge, $"the message does not fit in one frame ({FrameLayout.MaxPayloadSize} bytes); send large content as media", clientMsgId);
        }

        ct.ThrowIfCancellationRequested();
        var pending = new PendingSend(message);
        lock (_gate)
        {
            ThrowIfUnusable();
            if (_credentials is null)
            {
                throw new InvalidOperationException("log in first (VerifyAsync or LoginAsync)");
            }

            if (!_sends.TryAdd(clientMsgId, pending))
            {
                throw new InvalidOperationException($"a send with client_msg_id {clientMsgId} is already pending");
            }

            AdmitWaitingSends();
        }

        sealing.Dispose(); // queued: the next send may seal
        WakeSendWriter();
        await using (ct.Register(() => Finish(clientMsgId, pending, p => p.Completion.TrySetCanceled(ct))))
        {
            return await pending.Completion.Task;
        }
    }

    /// <summary>
    /// READ: tells <paramref name="from"/> that these of its messages were read (it gets
    /// RECEIPT{READ}). Waits through reconnects until it is written. The node does not answer READ,
    /// so one written just before a connection is lost may be lost with it.
    /// </summary>
    public async Task MarkReadAsync(string from, IEnumerable<string> serverMsgIds, CancellationToken ct = default)
    {
        var read = new Read { From = ParsePhone(from), ServerMsgIds = { serverMsgIds } };
        while (true)
        {
            var connection = await WhenReadyAsync(ct);
            if (await connection.WriteAsync(read))
            {
                return;
            }
        }
    }

    /// <summary>Makes room: the oldest waiting sends become in flight, up to <see cref="ClientOptions.MaxPendingSends"/>. Call under <see cref="_gate"/>.</summary>
    private void AdmitWaitingSends()
    {
        // In-flight sends are always a prefix of _sends: sends leave from anywhere, but only the
        // first waiting one is ever admitted.
        while (_inFlight < Options.MaxPendingSends && _inFlight < _sends.Count)
        {
            _sends.GetAt(_inFlight).Value.InFlight = true;
            _inFlight++;
        }
    }

    /// <summary>Removes a send (answered, failed or cancelled) and completes it; false when it is no longer pending.</summary>
    private bool Finish(string clientMsgId, PendingSend? expected, Action<PendingSend> complete)
    {
        PendingSend? pending;
        lock (_gate)
        {
            if (!_sends.TryGetValue(clientMsgId, out pending) || (expected is not null && !ReferenceEquals(pending, expected)))
            {
                return false;
            }

            _sends.Remove(clientMsgId);
            if (pending.InFlight)
            {
                _inFlight--;
            }

            AdmitWaitingSends();
        }

        WakeSendWriter();
        complete(pending);
        return true;
    }

    private void WakeSendWriter() => _sendWakeUps.Writer.TryWrite(true);

    /// <summary>
    /// The one writer of SEND frames: writes in-flight sends not yet written to the session's current
    /// connection, in call order. After a reconnect that is every in-flight send, first.
    /// </summary>
    private async Task WriteSendsAsync()
    {
        var batch = new List<IMessage>();
        try
        {
            while (await _sendWakeUps.Reader.WaitToReadAsync(_lifetime.Token))
            {
                _sendWakeUps.Reader.TryRead(out _);
                WireConnection? connection;
                batch.Clear();
                lock (_gate)
                {
                    connection = _ready ? _connection : null;
                    if (connection is null)
                    {
                        continue;
                    }

                    for (var i = 0; i < _inFlight; i++)
                    {
                        var pending = _sends.GetAt(i).Value;
                        if (!ReferenceEquals(pending.WrittenTo, connection))
                        {
                            pending.WrittenTo = connection;
                            batch.Add(pending.Message);
                        }
                    }
                }

                // A failed write aborts the connection; the next one gets every in-flight send again.
                if (batch.Count > 0)
                {
                    await connection.WriteAsync(batch);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
    }


    private sealed class PendingSend(Send message)
    {
        public Send Message { get; } = message;

        /// <summary>Admitted among the at most MaxPendingSends that may be written. Guarded by _gate.</summary>
        public bool InFlight { get; set; }

        /// <summary>The connection it was last written to. Guarded by _gate.</summary>
        public WireConnection? WrittenTo { get; set; }

        public TaskCompletionSource<SendAck> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
