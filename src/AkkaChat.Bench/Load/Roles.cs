using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using AkkaChat.Bench.Wire;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Bench.Load;

/// <summary>
/// What a connection does with the frames it receives. Every role counts ERROR frames by code and
/// a lost connection as CONNECTION_LOST; queued items are acknowledged by the connection itself.
/// </summary>
public abstract class Role(WorkerMetrics metrics) : IFrameHandler
{
    public const string ConnectionLost = "CONNECTION_LOST";

    protected WorkerMetrics Metrics { get; } = metrics;

    public virtual void OnFrame(BenchConnection connection, in Frame frame, long receivedAt)
    {
        if (frame.Message is Error error)
        {
            Metrics.Error(ErrorNames.Of(error.ErrorCode));
        }
    }

    public virtual void OnAcknowledged(BenchConnection connection, ulong upToSeq, long at)
    {
    }

    public virtual void OnLost(BenchConnection connection, string reason)
    {
        Metrics.Error(ConnectionLost);
        Interlocked.Decrement(ref Metrics.Connected);
    }
}

/// <summary>A connection that only stays connected (idle-connections).</summary>
public sealed class IdleRole(WorkerMetrics metrics) : Role(metrics);

/// <summary>The end of the sending window, shared by the roles of one run (a <see cref="Stopwatch"/> timestamp).</summary>
public sealed class SendingWindow
{
    private long _end = long.MaxValue;

    public long End
    {
        get => Interlocked.Read(ref _end);
        set => Interlocked.Exchange(ref _end, value);
    }
}

/// <summary>
/// The sending half of a pair. Each SEND carries its send timestamp in the first 8 bytes of the body
/// (<see cref="Stopwatch"/> ticks, little-endian; the rest is padding up to the body size) and in
/// its client_msg_id (<c>{n:x}-{timestamp:x}</c>, unique per sender), so neither the recipient nor
/// the SEND_ACK needs a lookup table. At most <see cref="WorkerPlan.MaxInFlight"/> SENDs wait for
/// their answer (SEND_ACK or ERROR) at once.
/// </summary>
public sealed class SenderRole : Role
{
    private readonly BenchConnection _connection;
    private readonly LatencyHistogram _sendAckLatency;
    private readonly SemaphoreSlim _window;
    private readonly int _maxInFlight;
    private readonly Send _send;
    private readonly byte[] _body;
    private readonly CancellationTokenSource _lost = new();
    private long _next;
    private long _acked;

    public SenderRole(BenchConnection connection, string to, WorkerPlan plan, WorkerMetrics metrics)
        : base(metrics)
    {
        _connection = connection;
        _maxInFlight = Math.Max(1, plan.MaxInFlight);
        _window = new SemaphoreSlim(_maxInFlight, _maxInFlight);
        _sendAckLatency = metrics.Latency(Measures.SendToSendAck);
        _body = new byte[Math.Max(sizeof(long), plan.BodyBytes)];
        Random.Shared.NextBytes(_body);
        // The body array is rewritten before each SEND and serialized into the pipe at once, so one
        // wrapped array serves every message of this sender.
        _send = new Send { To = to, Kind = (uint)MessageKind.Text, Body = UnsafeByteOperations.UnsafeWrap(_body) };
    }

    /// <summary>SEND_ACKs this sender received.</summary>
    public long Acked => Interlocked.Read(ref _acked);

    /// <summary>
    /// Sends until <paramref name="end"/>: at <paramref name="ratePerSecond"/>, each SEND stamped with
    /// its scheduled time (so a sender held back by its window or a slow node still counts the wait),
    /// or, when the rate is null, as fast as the window allows, stamped when written.
    /// </summary>
    public async Task SendUntilAsync(long start, long end, double? ratePerSecond, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lost.Token);
        var token = linked.Token;
        var ticksPerMessage = ratePerSecond is > 0 ? Stopwatch.Frequency / ratePerSecond.Value : 0;
        var paced = ticksPerMessage > 0;
        var offset = paced ? Random.Shared.NextDouble() * ticksPerMessage : 0; // senders do not tick in step
        long n = 0;
        long Due(long k) => start + (long)(offset + k * ticksPerMessage);
        bool MoreDue(long k) => paced ? Due(k) < end && Due(k) <= Stopwatch.GetTimestamp() : Stopwatch.GetTimestamp() < end;

        try
        {
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                if (now >= end || paced && Due(n) >= end)
                {
                    break;
                }

                if (paced && Due(n) > now)
                {
                    await Task.Delay(AtLeastOneMillisecond(Stopwatch.GetElapsedTime(now, Due(n))), token);
                    continue;
                }

                if (!await _window.WaitAsync(Stopwatch.GetElapsedTime(now, end), token))
                {
                    break;
                }

                var batch = await _connection.BeginBatchAsync();
                try
                {
                    do
                    {
                        WriteSend(batch, paced ? Due(n) : Stopwatch.GetTimestamp());
                        n++;
                    }
                    while (MoreDue(n) && _window.Wait(0));
                }
                finally
                {
                    await batch.FlushAsync();
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // stopped, or the connection was lost (counted by OnLost)
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // the receive loop counts the lost connection
        }
    }

    /// <summary>Sends exactly <paramref name="count"/> SENDs as fast as the window allows.</summary>
    public async Task SendCountAsync(long count, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lost.Token);
        long n = 0;
        try
        {
            while (n < count)
            {
                await _window.WaitAsync(linked.Token);
                var batch = await _connection.BeginBatchAsync();
                try
                {
                    do
                    {
                        WriteSend(batch, Stopwatch.GetTimestamp());
                        n++;
                    }
                    while (n < count && _window.Wait(0));
                }
                finally
                {
                    await batch.FlushAsync();
                }
            }
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            // stopped, or the connection was lost (counted by OnLost)
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // the receive loop counts the lost connection
        }
    }

    /// <summary>Waits until every SEND written has its answer; false when <paramref name="timeout"/> passed first or the connection was lost.</summary>
    public async Task<bool> WaitForAnswersAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lost.Token);
        linked.CancelAfter(timeout);
        var taken = 0;
        try
        {
            for (; taken < _maxInFlight; taken++)
            {
                await _window.WaitAsync(linked.Token);
            }

            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            if (taken > 0)
            {
                _window.Release(taken);
            }
        }
    }

    private void WriteSend(BenchConnection.FrameBatch batch, long timestamp)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_body, timestamp);
        _send.ClientMsgId = string.Create(CultureInfo.InvariantCulture, $"{_next++:x}-{timestamp:x}");
        batch.Write(_send);
        Interlocked.Increment(ref Metrics.Sent);
    }

    public override void OnFrame(BenchConnection connection, in Frame frame, long receivedAt)
    {
        switch (frame.Message)
        {
            case SendAck ack:
                if (TryReadTimestamp(ack.ClientMsgId, out var sentAt))
                {
                    _sendAckLatency.RecordBetween(sentAt, receivedAt);
                }

                Interlocked.Increment(ref Metrics.SendAcked);
                Interlocked.Increment(ref _acked);
                FreeSlot();
                break;
            case Error { Ref.Length: > 0 } refused:
                Metrics.Error(ErrorNames.Of(refused.ErrorCode));
                Interlocked.Increment(ref Metrics.SendFailed);
                FreeSlot();
                break;
            default:
                base.OnFrame(connection, frame, receivedAt); // RECEIPTs are acknowledged by the connection
                break;
        }
    }

    public override void OnLost(BenchConnection connection, string reason)
    {
        base.OnLost(connection, reason);
        _lost.Cancel();
    }

    private void FreeSlot()
    {
        try
        {
            _window.Release();
        }
        catch (SemaphoreFullException)
        {
            Metrics.Error("UNEXPECTED_ANSWER"); // an answer to a SEND this sender did not make
        }
    }

    private static bool TryReadTimestamp(string clientMsgId, out long timestamp)
    {
        var dash = clientMsgId.IndexOf('-');
        timestamp = 0;
        return dash > 0 && long.TryParse(clientMsgId.AsSpan(dash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out timestamp);
    }

    private static TimeSpan AtLeastOneMillisecond(TimeSpan wait) =>
        wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait;
}

/// <summary>The receiving half of a pair: measures SEND to DELIVER from the timestamp in the body.</summary>
public sealed class RecipientRole(WorkerMetrics metrics, SendingWindow window) : Role(metrics)
{
    private readonly LatencyHistogram _latency = metrics.Latency(Measures.SendToDeliver);

    public override void OnFrame(BenchConnection connection, in Frame frame, long receivedAt)
    {
        if (frame.Message is Deliver deliver)
        {
            if (deliver.Body.Length >= sizeof(long))
            {
                _latency.RecordBetween(BinaryPrimitives.ReadInt64LittleEndian(deliver.Body.Span), receivedAt);
            }

            Interlocked.Increment(ref Metrics.Delivered);
            WorkerMetrics.Max(ref Metrics.LastDeliveredAt, receivedAt);
            if (receivedAt <= window.End)
            {
                Interlocked.Increment(ref Metrics.DeliveredInWindow);
            }

            return;
        }

        base.OnFrame(connection, frame, receivedAt);
    }
}

/// <summary>
/// A recipient logging in to a full queue (offline-drain): done when <paramref name="expected"/>
/// DELIVERs arrived and the ACK covering them was written.
/// </summary>
public sealed class DrainRole(WorkerMetrics metrics, long expected) : Role(metrics)
{
    private readonly TaskCompletionSource<long> _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _delivered;

    /// <summary>Completes with the <see cref="Stopwatch"/> timestamp of the ACK that emptied the queue.</summary>
    public Task<long> Drained => _drained.Task;

    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>For a queue that was empty at login: drained at once.</summary>
    public void CompleteIfNothingExpected(long at)
    {
        if (expected == 0)
        {
            _drained.TrySetResult(at);
        }
    }

    public override void OnFrame(BenchConnection connection, in Frame frame, long receivedAt)
    {
        if (frame.Message is Deliver)
        {
            Interlocked.Increment(ref _delivered);
            Interlocked.Increment(ref Metrics.Delivered);
            return;
        }

        base.OnFrame(connection, frame, receivedAt);
    }

    public override void OnAcknowledged(BenchConnection connection, ulong upToSeq, long at)
    {
        if (Interlocked.Read(ref _delivered) >= expected)
        {
            _drained.TrySetResult(at);
        }
    }

    public override void OnLost(BenchConnection connection, string reason)
    {
        base.OnLost(connection, reason);
        _drained.TrySetException(new BenchProtocolException(ConnectionLost, reason));
    }
}
