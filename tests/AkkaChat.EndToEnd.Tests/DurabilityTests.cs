using AkkaChat.TestKit;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.EndToEnd.Tests;

[Trait("Category", "Slow")]
public sealed class DurabilityTests
{
    [Fact]
    public async Task Messages_that_got_send_ack_survive_kill_9_and_are_delivered_exactly_once_after_restart()
    {
        await using var node = await NodeProcess.StartAsync(NodeFixture.Config);
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        ByteString bobToken;
        await using (var b = await node.ConnectAsync())
        {
            bobToken = (await b.RegisterAsync(bob)).Token;
        }

        var acked = new List<string>();
        await using (var a = await node.ConnectAsync())
        {
            await a.RegisterAsync(alice);
            for (var i = 0; i < 50; i++)
            {
                await a.SendAsync(new Send { ClientMsgId = $"k-{i}", To = bob, Kind = 1, Body = ByteString.CopyFromUtf8($"#{i}") });
            }

            for (var i = 0; i < 50; i++)
            {
                acked.Add((await a.ExpectAsync<SendAck>()).ServerMsgId);
            }

            await node.KillAsync(); // right after the last SEND_ACK, without a graceful stop
        }

        await node.StartAsync();
        await using var again = await node.ConnectAsync();
        var ok = await again.LoginAsync(bob, bobToken);
        Assert.Equal(50UL, ok.Pending);
        var seen = new HashSet<string>();
        var delivered = new List<string>();
        while (delivered.Count < 50)
        {
            var deliver = await again.ExpectAsync<Deliver>();
            if (seen.Add(deliver.ServerMsgId))
            {
                delivered.Add(deliver.ServerMsgId); // a client drops duplicates by server_msg_id
            }
        }

        Assert.Equal(acked, delivered);
        await again.SendAsync(new Ack { UpToSeq = 50 });
        await again.ExpectAliveAsync(); // and no 51st item arrives before the PONG
    }

    [Fact]
    public async Task Sigterm_closes_every_connection_with_a_fin_and_the_node_exits_with_its_data_intact()
    {
        await using var node = await NodeProcess.StartAsync(NodeFixture.Config);
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        ByteString bobToken;
        await using (var b = await node.ConnectAsync())
        {
            bobToken = (await b.RegisterAsync(bob)).Token;
        }

        await using var a = await node.ConnectAsync();
        await a.RegisterAsync(alice);
        var ack = await a.SendTextAsync(bob, "before-stop", "still here after a restart");

        // Reading, as a client would: the node shuts down each socket's send side after its last
        // frame (a FIN) and disposes the socket only after the client's FIN, so no reset is allowed.
        // Besides alice: logged-in users and connections that never authenticated.
        var others = new List<ProtocolClient>();
        for (var i = 0; i < 20; i++)
        {
            var other = await node.ConnectAsync();
            others.Add(other);
            if (i % 2 == 0)
            {
                await other.RegisterAsync(TestPhones.New());
            }
        }

        var closed = others.Select(o => o.ExpectClosedAsync(TimeSpan.FromSeconds(30))).Append(a.ExpectClosedAsync(TimeSpan.FromSeconds(30))).ToList();
        await node.TerminateAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(closed);
        foreach (var other in others)
        {
            await other.DisposeAsync();
        }

        Assert.Equal(0, node.ExitCode);

        await node.StartAsync();
        await using var b2 = await node.ConnectAsync();
        Assert.Equal(1UL, (await b2.LoginAsync(bob, bobToken)).Pending);
        Assert.Equal(ack.ServerMsgId, (await b2.ExpectAsync<Deliver>()).ServerMsgId);
    }
}
