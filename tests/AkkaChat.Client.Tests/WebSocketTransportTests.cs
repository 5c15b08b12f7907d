using AkkaChat.Client.Transport;
using AkkaChat.Protocol;
using AkkaChat.TestKit;

namespace AkkaChat.Client.Tests;

/// <summary>The SDK over <c>ws://HOST:PORT/v1/ws</c> on a real node, next to an SDK client over TCP.</summary>
[Trait("Category", "Slow")]
public sealed class WebSocketTransportTests(NodeFixture fixture) : IClassFixture<NodeFixture>, IAsyncLifetime
{
    private readonly NodeProcess _node = fixture.Node;

    public Task InitializeAsync() => _node.WaitForWebPortAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private ClientOptions OverWebSocket() => Clients.For(_node) with
    {
        Servers = [ServerAddress.ForWebSocket("127.0.0.1", _node.WebPort).ToString()],
    };

    [Fact]
    public async Task A_client_over_websocket_and_a_client_over_tcp_chat_both_ways_with_receipts()
    {
        var (web, tcp) = (TestPhones.New(), TestPhones.New());
        await using var w = await Clients.RegisterAsync(_node, web, OverWebSocket());
        await using var t = await Clients.RegisterAsync(_node, tcp);
        await using var webEvents = new EventLog(w);
        await using var tcpEvents = new EventLog(t);

        var toWeb = await t.SendTextAsync(web, "over tcp", "t-1").WaitAsync(Clients.Timeout);
        await webEvents.WaitForAsync(l => l.Messages.Count == 1, "the websocket client got the message");
        Assert.Equal((toWeb.ServerMsgId, tcp, "over tcp"), (webEvents.Messages[0].ServerMsgId, webEvents.Messages[0].From, webEvents.Messages[0].Text));
        await tcpEvents.WaitForAsync(l => l.Receipts.Any(r => r.Status == ReceiptStatus.Delivered), "the tcp sender got DELIVERED");

        var toTcp = await w.SendTextAsync(tcp, "over websocket", "w-1").WaitAsync(Clients.Timeout);
        Assert.Equal("w-1", toTcp.ClientMsgId);
        await tcpEvents.WaitForAsync(l => l.Messages.Count == 1, "the tcp client got the message");
        Assert.Equal((web, "over websocket"), (tcpEvents.Messages[0].From, tcpEvents.Messages[0].Text));
        await webEvents.WaitForAsync(l => l.Receipts.Any(r => r.ServerMsgId == toTcp.ServerMsgId && r.Status == ReceiptStatus.Delivered), "the websocket sender got DELIVERED");
    }

    [Fact]
    public async Task Stored_credentials_log_in_over_websocket_and_bring_what_was_queued_meanwhile()
    {
        var (web, tcp) = (TestPhones.New(), TestPhones.New());
        Credentials credentials;
        await using (var first = await Clients.RegisterAsync(_node, web, OverWebSocket()))
        {
            credentials = first.Credentials!;
        }

        await using var t = await Clients.RegisterAsync(_node, tcp);
        for (var i = 0; i < 50; i++)
        {
            await t.SendTextAsync(web, $"queued {i}").WaitAsync(Clients.Timeout);
        }

        var (w, login) = await Clients.LoginAsync(_node, credentials, OverWebSocket());
        await using (w)
        {
            Assert.Equal(50UL, login.Pending);
            await using var events = new EventLog(w);
            await events.WaitForAsync(l => l.Messages.Count == 50, "every queued message arrived over the websocket");
            Assert.Equal(Enumerable.Range(0, 50).Select(i => $"queued {i}"), events.Messages.Select(m => m.Text));
        }
    }

    [Fact]
    public async Task A_websocket_entry_of_a_port_with_no_server_fails_over_to_the_next_server()
    {
        var phone = TestPhones.New();
        var options = Clients.For(_node) with
        {
            Servers = [$"ws://127.0.0.1:{PortWithNoServer()}", $"tcp://127.0.0.1:{_node.Port}"],
        };
        await using var client = await Clients.RegisterAsync(_node, phone, options);
        Assert.Equal(ConnectionState.Ready, client.State);
    }

    private static int PortWithNoServer()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }
}
