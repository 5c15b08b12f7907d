using System.Buffers;
using Akka.Actor;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Stage;
using AkkaChat.Protocol;

namespace AkkaChat.Node.Transport;

/// <summary>
/// The whole per-connection stream graph besides the TCP stage: one stage that cuts the incoming
/// bytes into frames with <see cref="FrameReader"/> and hands them to the connection's actor, and
/// writes the frames the actor sends back. One stage instead of a framer, a decoder, a sink and a
/// source keeps an idle connection small, and no receive buffer is held while nothing is partial.
/// <para>Backpressure: at most <c>receiveWindow</c> frames are with the actor at a time (it confirms
/// each with <see cref="ConnectionStage.FrameHandled"/>); past that the socket is not read.
/// Outgoing frames queue up to <c>sendBuffer</c>; beyond that the peer is a slow reader and the
/// stage fails, closing the socket.</para>
/// </summary>
public sealed class ConnectionStage : GraphStage<FlowShape<ByteString, ByteString>>
{
    private readonly IActorRef _connection;
    private readonly int _receiveWindow;
    private readonly int _sendBuffer;

    public ConnectionStage(IActorRef connection, int receiveWindow, int sendBuffer)
    {
        _connection = connection;
        _receiveWindow = receiveWindow;
        _sendBuffer = sendBuffer;
        Shape = new FlowShape<ByteString, ByteString>(In, Out);
    }

    public Inlet<ByteString> In { get; } = new("connection.in");

    public Outlet<ByteString> Out { get; } = new("connection.out");

    public override FlowShape<ByteString, ByteString> Shape { get; }

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

    /// <summary>To the stage: write one frame.</summary>
    public sealed record Outgoing(ByteString Bytes);

    /// <summary>To the stage: write what is queued, then close the socket.</summary>
    public sealed class Close
    {
        public static readonly Close Instance = new();
    }

    private sealed class Logic : GraphStageLogic
    {
        private readonly ConnectionStage _stage;
        private byte[]? _pending; // bytes of a partial frame; rented only while one is partial
        private int _pendingLength;
        private int _inFlight;
        private bool _stopReading;
        private bool _closing;
        private Queue<ByteString>? _outgoing;
        private StageActor? _self;
        private string _closeReason = "closed by peer";

        public Logic(ConnectionStage stage)
            : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage.In, onPush: OnPush, onUpstreamFinish: () => CompleteStage(), onUpstreamFailure: FailStage);
            SetHandler(stage.Out, onPull: OnPull, onDownstreamFinish: _ => CompleteStage());
        }

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

        private void OnPush()
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

        /// <summary>Hands complete frames to the actor while the receive window allows.</summary>
        private void Deliver()
        {
            if (_pending is null)
            {
                return;
            }

            var consumed = 0;
            while (!_stopReading && _inFlight < _stage._receiveWindow)
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
            // Read more only when the actor has room and no complete frame is waiting.
            if (!_stopReading && _inFlight < _stage._receiveWindow && !HasBeenPulled(_stage.In) && !IsClosed(_stage.In))
            {
                Pull(_stage.In);
            }
        }

        private void OnPull()
        {
            if (_outgoing is { Count: > 0 })
            {
                Push(_stage.Out, _outgoing.Dequeue());
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
                    Write(outgoing.Bytes);
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
                case Terminated:
                    CompleteStage(); // the actor is gone: nobody handles this socket any more
                    break;
            }
        }

        private void Write(ByteString bytes)
        {
            if (_closing)
            {
                return;
            }

            if (IsAvailable(_stage.Out) && _outgoing is not { Count: > 0 })
            {
                Push(_stage.Out, bytes);
                return;
            }

            _outgoing ??= new Queue<ByteString>();
            if (_outgoing.Count >= _stage._sendBuffer)
            {
                _closeReason = "slow reader";
                FailStage(new SlowReaderException(_stage._sendBuffer));
                return;
            }

            _outgoing.Enqueue(bytes);
        }
    }
}

/// <summary>The peer did not read its frames fast enough; its connection is closed.</summary>
public sealed class SlowReaderException(int bufferedFrames)
    : Exception($"peer is not reading: {bufferedFrames} frames queued for its socket");
