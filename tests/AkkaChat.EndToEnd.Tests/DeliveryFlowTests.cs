using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Google.Protobuf;

namespace AkkaChat.EndToEnd.Tests;

/// <summary>
/// Delivery is paced by the socket, not by acknowledgements: PROTOCOL.md has no window a client
/// must ACK before it sees more ("stored items come first, then live ones, without gaps").
/// </summary>
[Trait("Category", "Slow")]
public sealed class DeliveryFlowTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    // More than twice the delivery window (akkachat.delivery.window = 256 by default).
    private const int Queued = 600;

    private readonly NodeProcess _node = fixture.Node;

    [Fact]
    public async Task An_offline_user_with_600_queued_messages_reads_all_of_them_before_sending_any_ack()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        ByteString bobToken;
        await using (var b = await _node.ConnectAsync())
        {
            bobToken = (await b.RegisterAsync(bob)).Token;
        }

        await using (var a = await _node.ConnectAsync())
        {
            await a.RegisterAsync(alice);
            var burst = new MemoryStream();
            for (var i = 0; i < Queued; i++)
            {
                burst.Write(FrameWriter.ToBytes(new Send { ClientMsgId = $"q-{i}", To = bob, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8($"message {i}") }));
            }

            await a.SendRawAsync(burst.ToArray());
            for (var i = 0; i < Queued; i++)
            {
                await a.ExpectAsync<SendAck>();
            }
        }

        await using var reader = await _node.ConnectAsync();
        var ok = await reader.LoginAsync(bob, bobToken);
        Assert.Equal((ulong)Queued, ok.Pending);
        for (var i = 1; i <= Queued; i++)
        {
            Frame? frame;
            try
            {
                frame = await reader.ReadFrameAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                Assert.Fail($"delivery stalled: {i - 1} of {Queued} items arrived and none since, with no ACK sent");
                return;
            }

            var deliver = Assert.IsType<Deliver>(frame?.Message);
            Assert.Equal((ulong)i, deliver.Seq); // in order, without gaps
            Assert.Equal($"message {i - 1}", deliver.Body.ToStringUtf8());
        }

        await reader.SendAsync(new Ack { UpToSeq = Queued });
        await reader.ExpectAliveAsync();
    }
}
