using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Google.Protobuf;
using Xunit.Abstractions;

namespace AkkaChat.Cluster.Tests;

/// <summary>
/// A session whose user actor lives on another node outlives that node: the connection attaches
/// itself to the user actor's new incarnation, and traffic flows both ways on the same socket.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SessionResumeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_session_whose_user_actor_node_is_killed_keeps_receiving_and_its_reads_reach_the_sender_without_reconnecting()
    {
        await using var cluster = await ProcessCluster.StartAsync(3);

        // Bob: his user actor on one node ("home"), his connection on another.
        var bobPhone = TestPhones.New();
        AuthOk registered;
        await using (var registering = await cluster.Nodes[0].ConnectAsync())
        {
            registered = await registering.RegisterAsync(bobPhone);
        }

        var home = cluster.Nodes.Single(n => n.Name == registered.Node);
        var bobNode = cluster.Nodes.First(n => n != home);
        var aliceNode = cluster.Nodes.First(n => n != home && n != bobNode);
        await using var bob = await bobNode.ConnectAsync();
        Assert.Equal(home.Name, (await bob.LoginAsync(bobPhone, registered.Token)).Node);

        // Alice: connected to the third node, her user actor anywhere but the node that is killed.
        var (alicePhone, alice) = await RegisterAwayFromAsync(aliceNode, home.Name);
        await using var aliceConnection = alice;

        var before = await SendAsync(alice, bobPhone, "r-before");
        Assert.Equal(before.ServerMsgId, (await ReadDeliverAsync(bob)).ServerMsgId);

        await home.KillAsync();
        output.WriteLine($"killed {home.Name}; bob stays connected to {bobNode.Name}, alice to {aliceNode.Name}");

        // Alice -> Bob on the same socket as before the kill.
        var after = await SendAsync(alice, bobPhone, "r-after");
        var delivered = await ReadDeliverAsync(bob, except: before.ServerMsgId);
        Assert.Equal(after.ServerMsgId, delivered.ServerMsgId);
        Assert.Equal(alicePhone, delivered.From);

        // Bob -> Alice: his READ reaches his user actor, which sends her the receipt.
        await bob.SendAsync(new Read { From = alicePhone, ServerMsgIds = { after.ServerMsgId } });
        var receipt = await ReadUntilAsync(alice, m => m is Receipt r && r.ServerMsgId == after.ServerMsgId && r.Status == (uint)ReceiptStatus.Read);
        Assert.Equal(bobPhone, ((Receipt)receipt).By);

        // Bob's socket still answers. A message he acknowledged just before the kill may come
        // again (delivery is at least once; its deletion may not have reached the journal), but
        // nothing else may: every frame before the PONG is a redelivery of a known message.
        var nonce = (ulong)Random.Shared.NextInt64();
        await bob.SendAsync(new Ping { Nonce = nonce });
        var known = new HashSet<string> { before.ServerMsgId, after.ServerMsgId };
        var pong = await ReadUntilAsync(bob, m => m is Pong || !(m is Deliver d && known.Contains(d.ServerMsgId)));
        Assert.Equal(nonce, Assert.IsType<Pong>(pong).Nonce);
    }

    private static async Task<(string Phone, ProtocolClient Client)> RegisterAwayFromAsync(IChatNode node, string avoidHome)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var phone = TestPhones.New();
            var client = await node.ConnectAsync();
            var ok = await client.RegisterAsync(phone);
            if (ok.Node != avoidHome)
            {
                return (phone, client);
            }

            await client.DisposeAsync();
        }

        throw new InvalidOperationException($"every user registered lives on {avoidHome}");
    }

    /// <summary>SEND, repeated under the same client_msg_id while the cluster fails over, until SEND_ACK.</summary>
    private static async Task<SendAck> SendAsync(ProtocolClient client, string to, string clientMsgId)
    {
        var until = DateTime.UtcNow + Deadline;
        var send = new Send { ClientMsgId = clientMsgId, To = to, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8(clientMsgId) };
        while (true)
        {
            await client.SendAsync(send);
            try
            {
                var ack = await ReadUntilAsync(client, m => m is SendAck a && a.ClientMsgId == clientMsgId, TimeSpan.FromSeconds(5));
                return (SendAck)ack;
            }
            catch (TimeoutException) when (DateTime.UtcNow < until)
            {
                // the recipient's shard is moving: the same SEND again is idempotent
            }
        }
    }

    private static async Task<Deliver> ReadDeliverAsync(ProtocolClient bob, string? except = null)
    {
        var deliver = (Deliver)await ReadUntilAsync(bob, m => m is Deliver d && d.ServerMsgId != except);
        await bob.SendAsync(new Ack { UpToSeq = deliver.Seq });
        return deliver;
    }

    /// <summary>Reads frames until one matches; the connection must stay open meanwhile.</summary>
    private static async Task<IMessage> ReadUntilAsync(ProtocolClient client, Func<IMessage, bool> match, TimeSpan? within = null)
    {
        var until = DateTime.UtcNow + (within ?? Deadline);
        while (true)
        {
            var left = until - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException("the expected frame did not arrive");
            }

            Frame? frame;
            try
            {
                frame = await client.ReadFrameAsync(left);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException("the expected frame did not arrive");
            }

            var message = frame?.Message ?? throw new ProtocolExpectationException("the node closed the connection");
            if (match(message))
            {
                return message;
            }
        }
    }
}
