using System.Buffers;
using System.Net.Sockets;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Stage;

namespace AkkaChat.Node.Transport;

/// <summary>
/// One accepted TCP socket as a flow: what is pushed in is written to the socket, what the peer
/// sends comes out. It replaces Akka.IO's TCP connection (an actor, a SocketAsyncEventArgs pair and
/// a receive buffer per socket, about 20 KB) with what an idle socket needs and nothing more.
/// <para>Idle: one zero-byte receive is pending. It completes when bytes arrive without any buffer
/// being handed to the kernel; only then is a buffer rented from the shared pool, filled with a
/// non-blocking read of what is there, copied into the ByteString pushed downstream, and returned.
/// So an idle connection holds no receive buffer, no send buffer and no timer.</para>
/// <para>Reading happens only on demand (downstream pull), so a stage that stops pulling stops the
/// socket being read and TCP pushes back on the peer. One write is in flight at a time; the next
/// element is pulled when the kernel has taken the last.</para>
/// <para>Closing: when the input completes (the node is done writing) the socket's send side is
/// shut down after the last write, which sends a FIN, and reading goes on until the peer's FIN. The
/// socket is disposed only when both directions are done, so its receive queue is empty at close and
/// the kernel has no reason to answer with a reset. If downstream cancels reading first (the
/// connection's actor is gone), the socket is disposed at once: that close may be a reset.</para>
/// </summary>
public sealed class SocketStage : GraphStage<FlowShape<ByteString, ByteString>>
{
    /// <summary>Largest single read; bytes beyond it stay in the kernel until the next pull.</summary>
    internal const int ReadChunk = 16 * 1024;

    private readonly Socket _socket;

    public SocketStage(Socket socket)
    {
        _socket = socket;
        Shape = new FlowShape<ByteString, ByteString>(In, Out);
    }

    /// <summary>Bytes to write to the socket.</summary>
    public Inlet<ByteString> In { get; } = new("socket.write");

    /// <summary>Bytes read from the socket.</summary>
    public Outlet<ByteString> Out { get; } = new("socket.read");

    public override FlowShape<ByteString, ByteString> Shape { get; }

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    // The logic is its own in and out handler: no handler objects and delegates per connection.
    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly SocketStage _stage;
        private readonly Socket _socket;
        private Action<Task<int>>? _onReadable;
        private Action<Task<int>>? _onWritten;
        private bool _writing;
        private bool _sendShutDown;

        public Logic(SocketStage stage)
            : base(stage.Shape)
        {
            _stage = stage;
            _socket = stage._socket;
            SetHandler(stage.In, this);
            SetHandler(stage.Out, this);
        }

        public override void OnPull() => WaitReadable();

        public override void OnUpstreamFinish() => OnWritesDone();

        public override void OnUpstreamFailure(Exception e) => AbortSocket();

        public override void OnDownstreamFinish(Exception cause) => AbortSocket();

        public override void PreStart()
        {
            _socket.Blocking = false; // reads after readiness must never block the stream's thread
            _socket.NoDelay = true; // frames are small and written whole: do not wait to coalesce
            Pull(_stage.In);
        }

        public override void PostStop() => _socket.Dispose();

        // ---- reading ----

        /// <summary>Waits for bytes without a buffer: a zero-byte receive completes on readiness.</summary>
        private void WaitReadable()
        {
            ValueTask<int> ready;
            try
            {
                ready = _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                ReadFailed(e);
                return;
            }

            if (ready.IsCompleted)
            {
                Readable(ready.AsTask());
                return;
            }

            _onReadable ??= GetAsyncCallback<Task<int>>(Readable);
            ready.AsTask().ContinueWith(static (t, callback) => ((Action<Task<int>>)callback!)(t), _onReadable, TaskContinuationOptions.ExecuteSynchronously);
        }

        private void Readable(Task<int> ready)
        {
            if (ready.IsFaulted)
            {
                ReadFailed(ready.Exception!.InnerException!);
                return;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(ReadChunk);
            try
            {
                var read = _socket.Receive(buffer, 0, buffer.Length, SocketFlags.None, out var error);
                switch (error)
                {
                    case SocketError.Success when read > 0:
                        Push(_stage.Out, ByteString.CopyFrom(buffer, 0, read));
                        break;
                    case SocketError.Success:
                        Complete(_stage.Out); // the peer's FIN: it sends nothing more
                        FinishIfDone();
                        break;
                    case SocketError.WouldBlock:
                        WaitReadable(); // readiness without data (another reader took it): wait again
                        break;
                    default:
                        ReadFailed(new SocketException((int)error));
                        break;
                }
            }
            catch (ObjectDisposedException e)
            {
                ReadFailed(e);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>A reset or a read after close: the peer is gone, and so is this connection.</summary>
        private void ReadFailed(Exception error)
        {
            if (error is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown or SocketError.OperationAborted }
                or ObjectDisposedException)
            {
                CompleteStage();
                return;
            }

            FailStage(error);
        }

        // ---- writing ----

        /// <summary>
        /// Writes without blocking what the kernel takes now; only a remainder (the peer's window is
        /// full) is copied out and sent asynchronously, and the next element waits for it.
        /// </summary>
        public override void OnPush()
        {
            var bytes = Grab(_stage.In);
            var span = bytes.ToReadOnlySpan();
            int sent;
            try
            {
                sent = _socket.Send(span, SocketFlags.None, out var error);
                if (error is not (SocketError.Success or SocketError.WouldBlock))
                {
                    ReadFailed(new SocketException((int)error));
                    return;
                }
            }
            catch (ObjectDisposedException e)
            {
                ReadFailed(e);
                return;
            }

            if (sent == span.Length)
            {
                Written(Task.FromResult(sent));
                return;
            }

            var rest = span[Math.Max(sent, 0)..].ToArray();
            Task<int> written;
            try
            {
                written = _socket.SendAsync(new ReadOnlyMemory<byte>(rest), SocketFlags.None).AsTask();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                ReadFailed(e);
                return;
            }

            _writing = true;
            _onWritten ??= GetAsyncCallback<Task<int>>(Written);
            written.ContinueWith(static (t, callback) => ((Action<Task<int>>)callback!)(t), _onWritten, TaskContinuationOptions.ExecuteSynchronously);
        }

        private void Written(Task<int> written)
        {
            _writing = false;
            if (written.IsFaulted)
            {
                ReadFailed(written.Exception!.InnerException!);
                return;
            }

            if (IsClosed(_stage.In))
            {
                ShutDownSend();
            }
            else
            {
                Pull(_stage.In);
            }
        }

        private void OnWritesDone()
        {
            if (!_writing)
            {
                ShutDownSend();
            }
        }

        /// <summary>Sends the FIN after the last write; reading goes on until the peer's FIN.</summary>
        private void ShutDownSend()
        {
            if (_sendShutDown)
            {
                return;
            }

            _sendShutDown = true;
            try
            {
                _socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // the peer is already gone; the read side notices
            }

            FinishIfDone();
        }

        private void FinishIfDone()
        {
            if (_sendShutDown && IsClosed(_stage.Out))
            {
                CompleteStage();
            }
            else if (IsClosed(_stage.Out) && IsClosed(_stage.In) && !_writing)
            {
                ShutDownSend();
            }
        }

        /// <summary>Nobody reads this connection any more: close at once, whatever is unread.</summary>
        private void AbortSocket() => CompleteStage();
    }
}
