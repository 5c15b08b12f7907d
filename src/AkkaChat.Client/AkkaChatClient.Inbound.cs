using System.Threading.Channels;
using AkkaChat.Client.Internal;
using AkkaChat.Client.Wire;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;

namespace AkkaChat.Client;

/// <summary>Inbound frames: answers to sends, queued items admitted once (dedup by seq and id) into the event buffer, and their ACKs.</summary>
public sealed partial class AkkaChatClient
{
    // ---- receiving ----

    /// <summary>The read loop's receiver: every frame of the session's connections comes through <see cref="OnFrameAsync"/>.</summary>
    private sealed class Inbound(AkkaChatClient client) : IFrameReceiver
    {
        public ValueTask OnFrameAsync(WireConnection connection, Frame frame) => client.OnFrameAsync(frame);

        public ValueTask OnFramesReadAsync(WireConnection connection) => ValueTask.CompletedTask;
    }

    private async ValueTask OnFrameAsync(Frame frame)
    {
        switch (frame.Message)
        {
            case SendAck ack when CompleteStatusPost(ack):
                break;
            case SendAck ack:
                Finish(ack.ClientMsgId, null, p => p.Completion.TrySetResult(ack));
                break;
            case Error error when error.Ref.Length > 0 && FailGroupRequest(error):
                break;
            case Error error when error.Ref.Length > 0 && FailStatusPost(error):
                break;
            case Error error when error.Ref.Length == 0 && FailContactsSync(error):
                break;
            case Error error when error.Ref.Length > 0 && FailKeyFetch(error):
                break;
            case Error error when error.Ref.Length > 0 && Finish(error.Ref, null, p => p.Completion.TrySetException(new AkkaChatException(error.ErrorCode, error.Message, error.Ref))):
                break;
            case Error error when ProtocolRules.ClosesConnection(error.ErrorCode, error.Ref):
                break; // the connection ends; the session decides what that means
            case Error error:
                await EmitAsync(0, null, () => new ServerErrorReceived(error.ErrorCode, error.Message, error.Ref));
                break;
            case Deliver d:
                await EmitAsync(d.Seq, "d:" + d.ServerMsgId, () => OpenDeliverAsync(d)); // decrypted in .Encryption
                break;
            case KeyBundle bundle when CompleteKeyFetch(bundle):
                break;
            case KeysLow low when Encryptor is { } e2e:
                OnKeysLow(e2e, low);
                break;
            case Receipt r:
                await EmitAsync(r.Seq, $"r:{r.ServerMsgId}:{r.Status}:{r.By}", () => new ReceiptReceived(
                    r.Seq, r.ServerMsgId, r.ClientMsgId, (ReceiptStatus)r.Status, r.By, DateTimeOffset.FromUnixTimeMilliseconds(r.AtMs), r.GroupId));
                break;
            case StatusUpdate s:
                await EmitAsync(s.Seq, "s:" + s.StatusId, () => StatusReceived.Of(s));
                break;
            case Presence p:
                await EmitAsync(0, null, () => PresenceChanged.From(p));
                break;
            case TypingNotify t:
                await EmitAsync(0, null, () => new TypingChanged(t.From, (TypingState)t.State, t.GroupId));
                break;
            case ContactsResult c:
                CompleteContactsSync(c);
                break;
            case GroupInfo g:
                CompleteGroupRequest(g);
                await EmitAsync(g.Seq, null, () => GroupChanged.From(g));
                break;
            case Pong or AuthOk or AuthCodeSent or null:
                break; // keep-alive answers, stray auth answers, and frame types this SDK does not know
            default:
                await EmitAsync(0, null, () => new FrameReceived(0, frame.Type, frame.Message));
                break;
        }
    }

    /// <summary>
    /// Admits a queued item (seq above 0) or passes any other event, and writes it into the bounded
    /// event buffer, waiting for room: while it waits, the connection's socket is not read.
    /// </summary>
    private ValueTask EmitAsync(ulong seq, string? id, Func<ChatEvent> create) =>
        EmitAsync(seq, id, () => ValueTask.FromResult<ChatEvent?>(create()));

    /// <summary>As above, with an event made only once the item is admitted (a DELIVER is decrypted once); null acknowledges the item without an event.</summary>
    private async ValueTask EmitAsync(ulong seq, string? id, Func<ValueTask<ChatEvent?>> create)
    {
        await _emitLock.WaitAsync(_lifetime.Token);
        try
        {
            if (seq > 0 && _tracker.Admit(seq, id) == DeliveryTracker.Admission.Duplicate)
            {
                WakeAckWriter(); // the node sent it again, so it may not know it was acknowledged
                return;
            }

            if (await create() is not { } e)
            {
                MovedPast(seq);
                return;
            }

            await _events.Writer.WriteAsync(e, _lifetime.Token);
        }
        catch (ChannelClosedException)
        {
            // the session is over; nobody reads events any more
        }
        finally
        {
            _emitLock.Release();
        }
    }

    private void MovedPast(ulong seq)
    {
        if (seq > 0 && _tracker.MovedPast(seq))
        {
            WakeAckWriter();
        }
    }

    private void WakeAckWriter() => _ackWakeUps.Writer.TryWrite(true);

    private async Task WriteAcksAsync()
    {
        try
        {
            while (await _ackWakeUps.Reader.WaitToReadAsync(_lifetime.Token))
            {
                _ackWakeUps.Reader.TryRead(out _);
                if (Options.AckDelay > TimeSpan.Zero)
                {
                    await Task.Delay(Options.AckDelay, _lifetime.Token);
                }

                await FlushAckAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
    }

    /// <summary>
    /// Writes ACK{highest acknowledgeable seq} when it is above what this connection acknowledged;
    /// returns the connection it was written to, null when none was written.
    /// </summary>
    private async Task<WireConnection?> FlushAckAsync()
    {
        WireConnection? connection;
        var upTo = _tracker.Acknowledgeable;
        lock (_gate)
        {
            connection = _ready ? _connection : null;
            if (connection is null || upTo <= connection.AckedUpTo)
            {
                return null;
            }
        }

        if (!await connection.WriteAsync(new Ack { UpToSeq = upTo }))
        {
            return null;
        }

        lock (_gate)
        {
            connection.AckedUpTo = Math.Max(connection.AckedUpTo, upTo);
        }

        Acknowledged(upTo); // .Encryption forgets the plaintexts kept for redelivery
        return connection;
    }
}
