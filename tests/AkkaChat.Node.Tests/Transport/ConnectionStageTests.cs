using System.Buffers;
using Akka.Actor;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Akka.TestKit;
using AkkaChat.Node.Transport;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Xunit.Abstractions;

namespace AkkaChat.Node.Tests.Transport;

/// <summary>
/// The connection stage driven directly: a publisher probe stands in for the socket's bytes, a
/// subscriber probe for the socket's writes, and a test probe for the ConnectionActor.
/// </summary>
public sealed class ConnectionStageTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan LongTimeout = TimeSpan.FromMinutes(5);

    private sealed record Pipeline(
        TestPublisher.Probe<ByteString> Socket,
        TestSubscriber.Probe<ByteString> Writes,
        TestProbe Actor,
        IActorRef Stage);

    private Pipeline Open(int receiveWindow = 16, int sendBufferBytes = 256 * 1024, TimeSpan? slowReaderTimeout = null)
    {
        var actor = CreateTestProbe();
        var (socket, writes) = this.SourceProbe<ByteString>()
            .Via(new ConnectionStage(actor.Ref, receiveWindow, sendBufferBytes, slowReaderTimeout ?? LongTimeout))
            .ToMaterialized(this.SinkProbe<ByteString>(), Keep.Both)
            .WithAttributes(Attributes.CreateInputBuffer(1, 1))
            .Run(Sys.Materializer());
        var stage = actor.ExpectMsg<ConnectionStage.Attached>().Stage;
        writes.EnsureSubscription();
        return new Pipeline(socket, writes, actor, stage);
    }

    private static ByteString Bytes(params IEnumerable<byte>[] parts) => ByteString.FromBytes(parts.SelectMany(p => p).ToArray());

    private static byte[] FrameOf(ulong nonce) => FrameWriter.ToBytes(new Ping { Nonce = nonce });

    private static ulong NonceOf(ConnectionStage.FrameReceived received) => Assert.IsType<Ping>(received.Frame.Message).Nonce;

    // ---- framing ----

    [Fact]
    public void Two_frames_split_at_every_byte_arrive_whole_and_in_order()
    {
        var both = FrameOf(1).Concat(FrameOf(2)).ToArray();
        for (var cut = 1; cut < both.Length; cut++)
        {
            var p = Open();
            p.Socket.SendNext(Bytes(both[..cut]));
            p.Socket.SendNext(Bytes(both[cut..]));

            Assert.Equal(1UL, NonceOf(p.Actor.ExpectMsg<ConnectionStage.FrameReceived>()));
            p.Stage.Tell(ConnectionStage.FrameHandled.Instance);
            Assert.Equal(2UL, NonceOf(p.Actor.ExpectMsg<ConnectionStage.FrameReceived>()));
            p.Socket.SendComplete();
        }
    }

    [Fact]
    public void A_frame_sent_one_byte_at_a_time_arrives_once_its_last_byte_does()
    {
        var p = Open();
        var frame = FrameOf(7);
        foreach (var b in frame[..^1])
        {
            p.Socket.SendNext(Bytes([b]));
        }

        p.Actor.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        p.Socket.SendNext(Bytes([frame[^1]]));
        Assert.Equal(7UL, NonceOf(p.Actor.ExpectMsg<ConnectionStage.FrameReceived>()));
    }

    [Fact]
    public void The_largest_frame_the_header_can_express_arrives_whole_from_many_chunks()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteRaw(writer, FrameLayout.Version, 0x7E, new byte[FrameLayout.MaxPayloadSize]);
        var frame = writer.WrittenSpan.ToArray();
        Assert.Equal(FrameLayout.MaxFrameSize, frame.Length);
        var p = Open();
        foreach (var chunk in frame.Chunk(1000))
        {
            p.Socket.SendNext(Bytes(chunk));
        }

        var received = p.Actor.ExpectMsg<ConnectionStage.FrameReceived>();
        Assert.Equal(0x7E, (byte)received.Frame.Type);
        Assert.Null(received.Frame.Message); // an unknown type: the actor answers it, the stage only frames it
    }

    // ---- errors ----

    [Fact]
    public void A_wrong_version_byte_is_a_protocol_violation_and_nothing_after_it_is_delivered()
    {
        var p = Open();
        var bad = FrameOf(1);
        bad[0] = 2;
        p.Socket.SendNext(Bytes(bad, FrameOf(2)));

        var violation = p.Actor.ExpectMsg<ConnectionStage.ProtocolViolation>();
        Assert.Equal(ErrorCode.UnsupportedVersion, violation.Error.Code);
        p.Socket.SendNext(Bytes(FrameOf(3)));
        p.Actor.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_known_type_with_a_payload_that_does_not_decode_is_a_malformed_violation()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteRaw(writer, FrameLayout.Version, (byte)FrameType.Ping, [0xFF, 0xFF, 0xFF]);
        var p = Open();
        p.Socket.SendNext(ByteString.FromBytes(writer.WrittenSpan.ToArray()));

        Assert.Equal(ErrorCode.Malformed, p.Actor.ExpectMsg<ConnectionStage.ProtocolViolation>().Error.Code);
    }

    // ---- backpressure ----

    [Fact]
    public void At_most_the_receive_window_of_frames_is_with_the_actor_and_the_next_follows_each_frame_handled()
    {
        var p = Open(receiveWindow: 2);
        p.Socket.SendNext(Bytes(FrameOf(1), FrameOf(2), FrameOf(3)));

        Assert.Equal(1UL, NonceOf(p.Actor.ExpectMsg<ConnectionStage.FrameReceived>()));
        Assert.Equal(2UL, NonceOf(p.Actor.ExpectMsg<ConnectionStage.FrameReceived>()));
        p.Actor.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        p.Stage.Tell(ConnectionStage.FrameHandled.Instance);
        Assert.Equal(3UL, NonceOf(p.Actor.ExpectMsg<ConnectionStage.FrameReceived>()));
    }

    [Fact]
    public void A_send_queue_past_its_byte_bound_stops_reading_the_socket_until_it_drains_and_keeps_the_connection_open()
    {
        var p = Open(sendBufferBytes: 1000);
        var reply = ByteString.FromBytes(new byte[600]);
        p.Stage.Tell(new ConnectionStage.Outgoing(reply)); // no demand from the socket: both queue
        p.Stage.Tell(new ConnectionStage.Outgoing(reply)); // 1,200 bytes queued, past the bound
        p.Socket.SendNext(Bytes(FrameOf(1)));
        p.Socket.SendNext(Bytes(FrameOf(2)));
        p.Actor.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // the frames wait: nothing is handed on
        Assert.Equal(0, p.Socket.Pending); // and the socket is not read further

        p.Writes.Request(1);
        Assert.Equal(1200, p.Writes.ExpectNext().Count); // both replies in one write
        Assert.Equal(1UL, NonceOf(p.Actor.ExpectMsg<ConnectionStage.FrameReceived>()));
        p.Stage.Tell(ConnectionStage.FrameHandled.Instance);
        Assert.Equal(2UL, NonceOf(p.Actor.ExpectMsg<ConnectionStage.FrameReceived>()));
        p.Writes.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // neither failed nor completed
    }

    [Fact]
    public void Queued_items_are_reported_written_only_once_the_socket_takes_them()
    {
        var p = Open();
        var item = ByteString.FromBytes(new byte[100]);
        p.Stage.Tell(new ConnectionStage.Outgoing(item, Seq: 7)); // no demand from the socket: all queue
        p.Stage.Tell(new ConnectionStage.Outgoing(item)); // not a queued item (a SEND_ACK, say)
        p.Stage.Tell(new ConnectionStage.Outgoing(item, Seq: 8));
        p.Actor.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // nothing reported while the socket takes nothing

        p.Writes.Request(1);
        Assert.Equal(300, p.Writes.ExpectNext().Count); // the three in one write
        Assert.Equal(new ConnectionStage.Written(8, 2), p.Actor.ExpectMsg<ConnectionStage.Written>());

        p.Writes.Request(1);
        p.Stage.Tell(new ConnectionStage.Outgoing(item, Seq: 9)); // the socket has demand: written at once
        p.Writes.ExpectNext();
        Assert.Equal(new ConnectionStage.Written(9, 1), p.Actor.ExpectMsg<ConnectionStage.Written>());
    }

    [Fact]
    public void A_peer_that_drains_nothing_for_the_slow_reader_timeout_is_closed_as_a_slow_reader()
    {
        var p = Open(sendBufferBytes: 100, slowReaderTimeout: TimeSpan.FromMilliseconds(500));
        p.Stage.Tell(new ConnectionStage.Outgoing(ByteString.FromBytes(new byte[200])));

        var error = p.Writes.ExpectError();
        Assert.IsType<SlowReaderException>(error);
        Assert.Equal("slow reader", p.Actor.ExpectMsg<ConnectionStage.Disconnected>().Reason);
    }

    [Fact]
    public void A_full_queue_that_keeps_draining_is_not_closed_even_past_the_slow_reader_timeout()
    {
        // One write per 400 ms against a 3 s timeout: the queue stays past the bound for longer
        // than the timeout in all, but never goes anywhere near a whole timeout without draining,
        // so a test thread that is descheduled for a while on a busy machine does not trip it.
        var timeout = TimeSpan.FromSeconds(3);
        var interval = TimeSpan.FromMilliseconds(400);
        const int writes = 10;
        var p = Open(sendBufferBytes: 100, slowReaderTimeout: timeout);
        var frame = ByteString.FromBytes(new byte[ConnectionStage.WriteBatchBytes]); // one write each
        for (var i = 0; i < writes; i++)
        {
            p.Stage.Tell(new ConnectionStage.Outgoing(frame));
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < writes; i++)
        {
            p.Writes.ExpectNoMsg(interval);
            p.Writes.Request(1);
            Assert.Equal(frame.Count, p.Writes.ExpectNext().Count);
        }

        Assert.True(clock.Elapsed > timeout, $"the queue was past its bound for {clock.Elapsed}, not longer than the timeout");
        p.Actor.ExpectNoMsg(timeout + TimeSpan.FromSeconds(1)); // and no Disconnected: the connection is open
    }

    // ---- closing ----

    [Fact]
    public void Close_writes_what_is_queued_then_completes_the_write_side_and_reports_disconnected_after_the_peer_closes()
    {
        var p = Open();
        p.Stage.Tell(new ConnectionStage.Outgoing(ByteString.FromBytes(FrameOf(1))));
        p.Stage.Tell(ConnectionStage.Close.Instance);
        p.Writes.Request(10);
        Assert.Equal(FrameOf(1), p.Writes.ExpectNext().ToArray());
        p.Writes.ExpectComplete(); // the write side is done: the socket stage sends its FIN now

        p.Socket.SendNext(Bytes(FrameOf(2))); // what the peer still sends is drained, not delivered
        p.Actor.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        p.Socket.SendComplete(); // the peer's FIN
        Assert.Equal("closed by node", p.Actor.ExpectMsg<ConnectionStage.Disconnected>().Reason);
    }

    [Fact]
    public void The_peer_closing_reports_disconnected_to_the_actor()
    {
        var p = Open();
        p.Socket.SendComplete();
        Assert.Equal("closed by peer", p.Actor.ExpectMsg<ConnectionStage.Disconnected>().Reason);
    }
}
