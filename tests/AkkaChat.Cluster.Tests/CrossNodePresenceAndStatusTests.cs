using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Google.Protobuf;
using PresenceFrame = AkkaChat.Protocol.Messages.Presence;

namespace AkkaChat.Cluster.Tests;

[Trait("Category", "Slow")]
public sealed class CrossNodePresenceAndStatusTests
{
    [Fact]
    public async Task Presence_typing_and_a_status_cross_nodes()
    {
        await using var cluster = await ChatCluster.StartAsync(3);
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        var b = await cluster.Nodes[1].ConnectAsync();
        await b.RegisterAsync(bob);
        await b.SendAsync(new ContactsSync { Phones = { alice } });
        await b.ExpectAsync<ContactsResult>(); // alice is not registered yet: the book keeps her anyway
        await using var a = await cluster.Nodes[0].ConnectAsync();
        await a.RegisterAsync(alice);
        await a.SendAsync(new ContactsSync { Phones = { bob } });
        Assert.Equal([bob], (await a.ExpectAsync<ContactsResult>()).Registered);

        await a.SendAsync(new PresenceSubscribe { Phones = { bob } });
        Assert.True((await a.ExpectAsync<PresenceFrame>()).Online);

        await a.SendAsync(new Typing { To = bob, State = (uint)TypingState.Recording });
        var typing = await b.ExpectAsync<TypingNotify>();
        Assert.Equal((alice, (uint)TypingState.Recording), (typing.From, typing.State));

        await a.SendAsync(new StatusPost { RequestId = "x-status", Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("from node 0") });
        var ack = await a.ExpectAsync<SendAck>();
        var update = await b.ExpectAsync<StatusUpdate>();
        Assert.Equal((ack.ServerMsgId, alice, "from node 0"), (update.StatusId, update.From, update.Body.ToStringUtf8()));

        await b.DisposeAsync();
        var offline = await a.ExpectAsync<PresenceFrame>();
        Assert.False(offline.Online);
        Assert.True(offline.LastSeenMs > 0);
    }
}
