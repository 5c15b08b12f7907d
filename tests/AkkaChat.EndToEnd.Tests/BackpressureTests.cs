using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Google.Protobuf;

namespace AkkaChat.EndToEnd.Tests;

/// <summary>
/// A node whose send queue bound is tiny (1 KiB), so a burst of replies backs up past it at once and
/// the node has to stop reading the socket rather than close it.
/// </summary>
[Trait("Category", "Slow")]
public sealed class BackpressureTests
{
    private const int Burst = 2_000;

    private const string Config = """
        akkachat.rate-limit.send-per-second = 100
        akkachat.rate-limit.send-burst = 500
        akkachat.connection.send-buffer-bytes = 1KiB
        akkachat.connection.slow-reader-timeout = 30s
        """;

    [Fact]
    public async Task A_burst_of_2000_sends_written_at_once_then_read_gets_2000_answers_and_the_connection_stays_open()
    {
        await using var node = await NodeProcess.StartAsync(Config);
        var bob = TestPhones.New();
        await using (var b = await node.ConnectAsync())
        {
            await b.RegisterAsync(bob);
        }

        await using var a = await node.ConnectAsync();
        await a.RegisterAsync(TestPhones.New());

        // All 2,000 SENDs in one write, before reading anything, as a client that batches would.
        var body = ByteString.CopyFrom(new byte[200]);
        var burst = new MemoryStream();
        for (var i = 0; i < Burst; i++)
        {
            burst.Write(FrameWriter.ToBytes(new Send { ClientMsgId = $"b-{i}", To = bob, Kind = 1, Body = body }));
        }

        var written = a.SendRawAsync(burst.ToArray());
        var (acked, limited) = (0, 0);
        for (var i = 0; i < Burst; i++)
        {
            switch ((await a.ReadFrameAsync())?.Message)
            {
                case SendAck:
                    acked++;
                    break;
                case Error { ErrorCode: ErrorCode.RateLimited }:
                    limited++;
                    break;
                case null:
                    Assert.Fail($"the node closed the connection after {acked} SEND_ACK and {limited} RATE_LIMITED (reset: {a.ClosedByReset})");
                    break;
                case var other:
                    Assert.Fail($"unexpected answer to a SEND: {other}");
                    break;
            }
        }

        await written;
        Assert.Equal(Burst, acked + limited);
        Assert.True(acked >= 500, $"the burst allowance of 500 was acknowledged, got {acked} SEND_ACK");
        await a.ExpectAliveAsync();
    }
}
