using System.Buffers;
using Akka.Actor;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Stage;
using AkkaChat.Protocol;

namespace AkkaChat.Node.Transport;

/// <summary>
/// The whole per-connection stream graph besides the <see cref="SocketStage"/>: one stage that cuts the incoming
/// bytes into frames with <see cref="FrameReader"/> and hands them to the connection's actor, and
/// writes the frames the actor sends back. One stage instead of a framer, a decoder, a sink and a
/// source keeps an idle connection small, and no receive buffer is held while nothing is partial.
/// <para>Backpressure: at most <c>receiveWindow</c> frames are with the actor at a time (it confirms
/// each with <see cref="ConnectionStage.FrameHandled"/>); past that the socket is not read.
/// Outgoing frames queue for the socket, counted in bytes. Past <c>sendBufferBytes</c> the stage
/// stops pulling the socket (no new requests are read, so the peer's own writes back up in TCP)
/// until the queue drains below it; the connection stays open. Only a peer whose queue stays past
/// the bound with nothing drained for <c>slowReaderTimeout</c> is a slow reader: the stage fails and
/// the socket closes. The check is scheduled only while the queue is past the bound.</para>
/// <para>Frames queued at once go to the socket as one write of up to <see cref="WriteBatchBytes"/>.</para>
/// </summary>
public sealed class ConnectionStage : GraphStage<FlowShape<ByteString, ByteString>>
{
    private readonly IActorRef _connection;
    private readonly int _receiveWindow;
    private readonly int _sendBufferBytes;
    private readonly TimeSpan _slowReaderTimeout;

    public ConnectionStage(IActorRef connection, int receiveWindow, int sendBufferBytes, TimeSpan slowReaderTimeout)
    {
        _connection = connection;
        _receiveWindow = receiveWindow;
        _sendBufferBytes = sendBufferBytes;
        _slowReaderTimeout = slowReaderTimeout;
        Shape = new FlowShape<ByteString, ByteString>(In, Out);
    }

    public Inlet<ByteString> In { get; } = new("connection.in");

    public Outlet<ByteString> Out { get; } = new("connection.out");

    public override FlowShape<ByteString, ByteString> Shape { get; }

    /// <summary>Most bytes of queued frames joined into one element (one socket write).</summary>
    public const int WriteBatchBytes = 64 * 1024;

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    // ---- messages between the stage and its ConnectionActor ----

    /// <summary>To the actor: the stage is running; write to <see cref="Stage"/>.</summary>
    public sealed record Attached(IActorRef Stage);

    /// <summary>To the actor: one decoded frame. Confirm with <see cref="FrameHandled"/>.</summary>
    public sealed record FrameReceived(Frame Frame);

    /// <summary>To the actor: the byte stream broke the protocol; nothing more is read.</summary>
    public sealed record ProtocolViolation(ProtocolException Error);

    /// <summary>To the actor: the socket is gone (peer closed, slow reader, or closed by us).</summary>
    public sealed record Disconnected(string Reason);

    /// <summary>To the stage: the actor is done with one frame.</summary>
    public sealed class FrameHandled
    {
        public static readonly FrameHandled Instance = new();
    }

    /// <summary>
    /// To the stage: write one frame. <paramref name="Seq"/> is the seq of a queued item (DELIVER,
    /// RECEIPT, ...), 0 for any other frame: once the frame is handed to the socket the stage reports
    /// it with <see cref="Written"/>, which paces the delivery of the user's queue.
    /// </summary>
    public sealed record Outgoing(ByteString Bytes, ulong Seq = 0);

    /// <summary>
    /// To the actor: frames of queued items, <paramref name="Count"/> of them and the highest seq
    /// <paramref name="UpToSeq"/>, were handed to the socket (it had demand for them).
    /// </summary>
    public sealed record Written(ulong UpToSeq, int Count);

    /// <summary>To the stage: write what is queued, then close the socket.</summary>
    public sealed class Close
    {
        public static readonly Close Instance = new();
    }

    // The logic is its own in and out handler: no handler objects and delegates per connection
    // (about 0.4 KB of an idle connection's heap with the socket stage's, docs/performance.md).
    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly ConnectionStage _stage;
        private byte[]? _pending; // bytes of a partial frame; rented only while one is partial
        private int _pendingLength;
        private int _inFlight;
        private bool _stopReading;
        private bool _closing;
        private Queue<Outgoing>? _outgoing;
        private long _queuedBytes;
        private long _lastDrainMs; // when the socket last took bytes while the queue was past the bound
        private bool _slowReaderCheckScheduled;
        private StageActor? _self;
        private string _closeReason = "closed by peer";

        public Logic(ConnectionStage stage)
            : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage.In, this);
            SetHandler(stage.Out, this);
        }

        public override void OnUpstreamFinish() => CompleteStage();

        public override void OnUpstreamFailure(Exception e) => FailStage(e);

        public override void OnDownstreamFinish(Exception cause) => CompleteStage();

        public override void PreStart()
        {
            _self = GetStageActor(OnMessage);
            _self.Watch(_stage._connection);
            _stage._connection.Tell(new Attached(_self.Ref));
            Pull(_stage.In);
        }

        public override void PostStop()
        {
            ReleasePending();
            _stage._connection.Tell(new Disconnected(_closeReason));
        }

        public override void OnPush()
        {
            var chunk = Grab(_stage.In);
            if (_closing)
            {
                Pull(_stage.In); // drain until the peer's FIN; see FinishWriting
                return;
            }

            Append(chunk);
            Deliver();
            PullIfReady();
        }

        private void Append(ByteString chunk)
        {
            var needed = _pendingLength + chunk.Count;
            if (_pending is null || _pending.Length < needed)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 256));
                if (_pending is not null)
                {
                    _pending.AsSpan(0, _pendingLength).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(_pending);
                }

                _pending = larger;
            }

            var target = _pending.AsSpan(_pendingLength, chunk.Count);
            chunk.CopyTo(ref target);
            _pendingLength = needed;
        }

        /// <summary>Hands complete frames to the actor while the receive window and the send queue allow.</summary>
        private void Deliver()
        {
            if (_pending is null)
            {
                return;
            }

            var consumed = 0;
            while (!_stopReading && _inFlight < _stage._receiveWindow && !QueueFull)
            {
                var sequence = new ReadOnlySequence<byte>(_pending, consumed, _pendingLength - consumed);
                Frame frame;
                try
                {
                    if (!FrameReader.TryRead(ref sequence, out frame))
                    {
                        break;
                    }
                }
                catch (ProtocolException e)
                {
                    _stopReading = true;
                    _stage._connection.Tell(new ProtocolViolation(e));
                    break;
                }

                consumed = _pendingLength - (int)sequence.Length;
                _inFlight++;
                _stage._connection.Tell(new FrameReceived(frame));
            }

            if (consumed == _pendingLength || _stopReading)
            {
                ReleasePending();
            }
            else if (consumed > 0)
            {
                _pending.AsSpan(consumed, _pendingLength - consumed).CopyTo(_pending);
                _pendingLength -= consumed;
            }
        }

        private void ReleasePending()
        {
            if (_pending is not null)
            {
                ArrayPool<byte>.Shared.Return(_pending);
                _pending = null;
                _pendingLength = 0;
            }
        }

        private void PullIfReady()
        {
            // Read more only when the actor has room, no complete frame is waiting, and the replies
            // already queued for the socket are within the bound.
            if (!_stopReading && _inFlight < _stage._receiveWindow && !QueueFull && !HasBeenPulled(_stage.In) && !IsClosed(_stage.In))
            {
                Pull(_stage.In);
            }
        }

        private bool QueueFull => _queuedBytes >= _stage._sendBufferBytes;

        public override void OnPull()
        {
            if (_outgoing is { Count: > 0 })
            {
                var wasFull = QueueFull;
                Push(_stage.Out, DequeueBatch(out var upToSeq, out var items));
                ReportWritten(upToSeq, items);
                _lastDrainMs = Environment.TickCount64;
                if (_outgoing.Count == 0)
                {
                    _outgoing = null; // an idle connection holds no queue
                }

                if (wasFull && !QueueFull)
                {
                    Deliver();
                    PullIfReady(); // drained below the bound: read the client again
                }
            }

            if (_closing && _outgoing is not { Count: > 0 })
            {
                FinishWriting();
            }
        }

        /// <summary>
        /// Completes the write side only. The TCP stage then sends FIN; cancelling the read side too
        /// could make it abort the socket with a reset instead. The read side keeps draining until
        /// the peer closes, which completes the stage (or the actor stops and cuts it).
        /// </summary>
        private void FinishWriting()
        {
            if (!IsClosed(_stage.Out))
            {
                Complete(_stage.Out);
            }

            if (!HasBeenPulled(_stage.In) && !IsClosed(_stage.In))
            {
                Pull(_stage.In);
            }
        }

        private void OnMessage((IActorRef Sender, object Message) args)
        {
            switch (args.Message)
            {
                case FrameHandled:
                    _inFlight--;
                    Deliver();
                    PullIfReady();
                    break;
                case Outgoing outgoing:
                    Write(outgoing);
                    break;
                case Close:
                    _closing = true;
                    _closeReason = "closed by node";
                    _stopReading = true;
                    ReleasePending();
                    if (_outgoing is not { Count: > 0 })
                    {
                        FinishWriting();
                    }

                    break;
                case SlowReaderCheck:
                    _slowReaderCheckScheduled = false;
                    CheckSlowReader();
                    break;
                case Terminated:
                    CompleteStage(); // the actor is gone: nobody handles this socket any more
                    break;
            }
        }

        private void Write(Outgoing outgoing)
        {
            if (_closing)
            {
                return;
            }

            if (IsAvailable(_stage.Out) && _outgoing is not { Count: > 0 })
            {
                Push(_stage.Out, outgoing.Bytes);
                ReportWritten(outgoing.Seq, outgoing.Seq > 0 ? 1 : 0);
                return;
            }

            _outgoing ??= new Queue<Outgoing>();
            var wasFull = QueueFull;
            _outgoing.Enqueue(outgoing);
            _queuedBytes += outgoing.Bytes.Count;
            if (!wasFull && QueueFull)
            {
                _lastDrainMs = Environment.TickCount64;
                ScheduleSlowReaderCheck(_stage._slowReaderTimeout);
            }
        }

        /// <summary>
        /// Joins queued frames, oldest first, into one element of at most WriteBatchBytes; reports the
        /// queued items among them (their highest seq and how many).
        /// </summary>
        private ByteString DequeueBatch(out ulong upToSeq, out int items)
        {
            var first = _outgoing!.Dequeue();
            var total = first.Bytes.Count;
            var count = 1;
            upToSeq = first.Seq;
            items = first.Seq > 0 ? 1 : 0;
            foreach (var next in _outgoing)
            {
                if (total + next.Bytes.Count > WriteBatchBytes)
                {
                    break;
                }

                total += next.Bytes.Count;
                count++;
            }

            ByteString batch;
            if (count == 1)
            {
                batch = first.Bytes;
            }
            else
            {
                var joined = new byte[total];
                var target = joined.AsSpan();
                first.Bytes.ToReadOnlySpan().CopyTo(target);
                var at = first.Bytes.Count;
                for (var i = 1; i < count; i++)
                {
                    var next = _outgoing.Dequeue();
                    next.Bytes.ToReadOnlySpan().CopyTo(target[at..]);
                    at += next.Bytes.Count;
                    if (next.Seq > 0)
                    {
                        upToSeq = Math.Max(upToSeq, next.Seq);
                        items++;
                    }
                }

                batch = ByteString.FromBytes(joined);
            }

            _queuedBytes -= batch.Count;
            return batch;
        }

        private void ReportWritten(ulong upToSeq, int items)
        {
            if (items > 0)
            {
                _stage._connection.Tell(new Written(upToSeq, items));
            }
        }

        private void ScheduleSlowReaderCheck(TimeSpan after)
        {
            if (_slowReaderCheckScheduled)
            {
                return;
            }

            _slowReaderCheckScheduled = true;
            var self = _self!.Ref;
            Materializer.ScheduleOnce(after, () => self.Tell(SlowReaderCheck.Instance));
        }

        /// <summary>Closes a peer that has drained nothing for the timeout while its queue was full.</summary>
        private void CheckSlowReader()
        {
            if (!QueueFull)
            {
                return;
            }

            var stalled = TimeSpan.FromMilliseconds(Environment.TickCount64 - _lastDrainMs);
            if (stalled < _stage._slowReaderTimeout)
            {
                ScheduleSlowReaderCheck(_stage._slowReaderTimeout - stalled);
                return;
            }

            _closeReason = "slow reader";
            FailStage(new SlowReaderException(_queuedBytes, _stage._slowReaderTimeout));
        }
    }
}

/// <summary>The peer did not read its frames for the slow-reader timeout; its connection is closed.</summary>
public sealed class SlowReaderException(long queuedBytes, TimeSpan timeout)
    : Exception($"peer is not reading: {queuedBytes} bytes queued for its socket and none drained for {timeout.TotalSeconds:0.#} s");

/// <summary>The stage's own reminder to check whether a full send queue has drained.</summary>
internal sealed class SlowReaderCheck
{
    public static readonly SlowReaderCheck Instance = new();
}
