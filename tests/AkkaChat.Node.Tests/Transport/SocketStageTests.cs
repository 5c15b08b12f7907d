using System.Net;
using System.Net.Sockets;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using AkkaChat.Node.Transport;
using Xunit.Abstractions;

namespace AkkaChat.Node.Tests.Transport;

/// <summary>
/// The socket stage over a real loopback TCP connection: the test holds the peer's socket, probes
/// stand in for the connection stage on the other side of the stage.
/// </summary>
public sealed class SocketStageTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private sealed record Connected(Socket Peer, TestPublisher.Probe<ByteString> Writes, TestSubscriber.Probe<ByteString> Reads) : IDisposable
    {
        public void Dispose() => Peer.Dispose();
    }

    private async Task<Connected> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepting = listener.AcceptAsync();
        await peer.ConnectAsync(listener.LocalEndPoint!);
        var accepted = await accepting;
        var (writes, reads) = this.SourceProbe<ByteString>()
            .Via(new SocketStage(accepted))
            .ToMaterialized(this.SinkProbe<ByteString>(), Keep.Both)
            .Run(Sys.Materializer());
        reads.EnsureSubscription();
        return new Connected(peer, writes, reads);
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        using var cts = new CancellationTokenSource(Deadline);
        await new NetworkStream(socket, ownsSocket: false).ReadExactlyAsync(buffer, cts.Token);
        return buffer;
    }

    [Fact]
    public async Task Bytes_the_peer_sends_come_out_and_bytes_pushed_in_reach_the_peer()
    {
        using var c = await ConnectAsync();
        await c.Peer.SendAsync("hello"u8.ToArray());
        c.Reads.Request(1);
        Assert.Equal("hello"u8.ToArray(), c.Reads.ExpectNext().ToArray());

        c.Writes.SendNext(ByteString.FromBytes("world"u8.ToArray()));
        Assert.Equal("world"u8.ToArray(), await ReadExactlyAsync(c.Peer, 5));
    }

    [Fact]
    public async Task Completing_the_writes_sends_a_fin_after_the_last_byte_and_the_stage_ends_after_the_peers_fin()
    {
        using var c = await ConnectAsync();
        var payload = new byte[200_000]; // larger than the kernel takes at once: the last write is async
        Random.Shared.NextBytes(payload);
        c.Writes.SendNext(ByteString.FromBytes(payload));
        c.Writes.SendComplete();

        Assert.Equal(payload, await ReadExactlyAsync(c.Peer, payload.Length));
        var end = new byte[1];
        Assert.Equal(0, await c.Peer.ReceiveAsync(end)); // a FIN: a reset would throw here
        c.Reads.Request(1);
        c.Reads.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // still reading until the peer's FIN

        c.Peer.Shutdown(SocketShutdown.Send);
        c.Reads.ExpectComplete();
    }

    [Fact]
    public async Task The_peers_fin_completes_the_reads()
    {
        using var c = await ConnectAsync();
        c.Reads.Request(1);
        c.Peer.Shutdown(SocketShutdown.Send);
        c.Reads.ExpectComplete();
    }

    [Fact]
    public async Task Without_demand_the_socket_is_not_read_and_the_peers_writes_back_up_in_tcp()
    {
        using var c = await ConnectAsync();
        c.Peer.Blocking = false;
        var chunk = new byte[64 * 1024];
        long sent = 0;
        var deadline = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < deadline)
        {
            var n = c.Peer.Send(chunk, 0, chunk.Length, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                break; // both kernels' buffers are full: nobody reads
            }

            Assert.Equal(SocketError.Success, error);
            sent += n;
        }

        Assert.True(DateTime.UtcNow < deadline, $"the peer wrote {sent} bytes without backing up");
        long read = 0;
        while (read < sent)
        {
            c.Reads.Request(1);
            read += c.Reads.ExpectNext(Deadline).Count;
        }

        Assert.Equal(sent, read); // everything arrives once there is demand, nothing more
    }
}
