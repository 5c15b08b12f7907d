using System.Net.WebSockets;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Google.Protobuf;

namespace AkkaChat.Web.Tests;

/// <summary>The protocol over ws://HOST:PORT/v1/ws on a real node process, next to TCP clients.</summary>
[Trait("Category", "Slow")]
public sealed class WebSocketTransportTests(WebNodeFixture fixture) : IClassFixture<WebNodeFixture>
{
    [Fact]
    public async Task A_websocket_user_and_a_tcp_user_chat_both_ways_with_receipts()
    {
        var webPhone = TestPhones.New();
        var tcpPhone = TestPhones.New();
        await using var web = await WebSocketClient.ConnectAsync(fixture.Node.WebPort);
        await web.RegisterAsync(webPhone);
        await using var tcp = await fixture.Node.ConnectAsync();
        await tcp.RegisterAsync(tcpPhone);

        var ack = await tcp.SendTextAsync(webPhone, "t-1", "hello from TCP");
        var deliver = await web.ExpectAsync<Deliver>();
        Assert.Equal((tcpPhone, "hello from TCP", ack.ServerMsgId), (deliver.From, deliver.Body.ToStringUtf8(), deliver.ServerMsgId));
        await web.SendAsync(new Ack { UpToSeq = deliver.Seq });
        var delivered = await tcp.ExpectAsync<Receipt>();
        Assert.Equal((ack.ServerMsgId, (uint)ReceiptStatus.Delivered, webPhone), (delivered.ServerMsgId, delivered.Status, delivered.By));

        await web.SendAsync(new Send { ClientMsgId = "w-1", To = tcpPhone, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("hello from the web") });
        var webAck = await web.ExpectAsync<SendAck>();
        Assert.Equal("w-1", webAck.ClientMsgId);
        var back = await tcp.ExpectAsync<Deliver>();
        Assert.Equal((webPhone, "hello from the web"), (back.From, back.Body.ToStringUtf8()));
    }

    [Fact]
    public async Task Ping_over_websocket_is_answered_with_pong_before_login()
    {
        await using var web = await WebSocketClient.ConnectAsync(fixture.Node.WebPort);
        await web.SendAsync(new Ping { Nonce = 4780 });
        Assert.Equal(4780UL, (await web.ExpectAsync<Pong>()).Nonce);
    }

    [Fact]
    public async Task A_text_message_gets_malformed_and_close_code_1003()
    {
        await using var web = await WebSocketClient.ConnectAsync(fixture.Node.WebPort);
        await web.SendTextAsync("hello");
        await web.ExpectErrorAsync(ErrorCode.Malformed);
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await web.ExpectClosedAsync());
    }

    [Fact]
    public async Task A_binary_message_holding_two_frames_gets_malformed_and_close_code_1002()
    {
        await using var web = await WebSocketClient.ConnectAsync(fixture.Node.WebPort);
        var ping = FrameWriter.ToBytes(new Ping { Nonce = 1 });
        await web.SendBinaryAsync([.. ping, .. ping]);
        await web.ExpectErrorAsync(ErrorCode.Malformed);
        Assert.Equal(WebSocketCloseStatus.ProtocolError, await web.ExpectClosedAsync());
    }

    [Fact]
    public async Task A_binary_message_shorter_than_its_frame_gets_malformed_and_close_code_1002()
    {
        await using var web = await WebSocketClient.ConnectAsync(fixture.Node.WebPort);
        var ping = FrameWriter.ToBytes(new Ping { Nonce = 300 });
        await web.SendBinaryAsync(ping[..^1]);
        await web.ExpectErrorAsync(ErrorCode.Malformed);
        Assert.Equal(WebSocketCloseStatus.ProtocolError, await web.ExpectClosedAsync());
    }

    [Fact]
    public async Task A_message_longer_than_the_largest_frame_gets_malformed_and_close_code_1009()
    {
        await using var web = await WebSocketClient.ConnectAsync(fixture.Node.WebPort);
        await web.SendBinaryAsync(new byte[FrameLayout.MaxFrameSize + 1]);
        await web.ExpectErrorAsync(ErrorCode.Malformed);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await web.ExpectClosedAsync());
    }

    [Fact]
    public async Task A_wrong_version_byte_gets_unsupported_version_and_close_code_1002_as_on_tcp()
    {
        await using var web = await WebSocketClient.ConnectAsync(fixture.Node.WebPort);
        var ping = FrameWriter.ToBytes(new Ping { Nonce = 1 });
        ping[0] = 2;
        await web.SendBinaryAsync(ping);
        await web.ExpectErrorAsync(ErrorCode.UnsupportedVersion);
        Assert.Equal(WebSocketCloseStatus.ProtocolError, await web.ExpectClosedAsync());
    }

    [Fact]
    public async Task A_send_before_login_gets_unauthenticated_and_close_code_1008()
    {
        await using var web = await WebSocketClient.ConnectAsync(fixture.Node.WebPort);
        await web.SendAsync(new Send { ClientMsgId = "x", To = TestPhones.New(), Kind = 1 });
        await web.ExpectErrorAsync(ErrorCode.Unauthenticated);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await web.ExpectClosedAsync());
    }

    [Fact]
    public async Task A_websocket_login_replaces_a_tcp_session_of_the_same_user()
    {
        var phone = TestPhones.New();
        await using var tcp = await fixture.Node.ConnectAsync();
        var ok = await tcp.RegisterAsync(phone);
        await using var web = await WebSocketClient.ConnectAsync(fixture.Node.WebPort);
        await web.SendAsync(new AuthLogin { Phone = phone, Token = ok.Token });
        await web.ExpectAsync<AuthOk>();
        await tcp.ExpectErrorAsync(ErrorCode.Replaced);
        await tcp.ExpectClosedAsync();
    }

    [Fact]
    public async Task A_plain_http_request_to_the_websocket_endpoint_gets_426()
    {
        using var answer = await fixture.Http.GetAsync("v1/ws");
        Assert.Equal(System.Net.HttpStatusCode.UpgradeRequired, answer.StatusCode);
    }
}

/// <summary>Shutdown with WebSocket sessions open: each is closed cleanly before the process exits.</summary>
[Trait("Category", "Slow")]
public sealed class WebSocketShutdownTests
{
    [Fact]
    public async Task Sigterm_closes_every_websocket_session_cleanly_and_the_node_exits_0()
    {
        await using var node = await NodeProcess.StartAsync(WebNodeFixture.Config);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{node.WebPort}/") };
        await WebNodeFixture.WaitForWebPortAsync(node, http);
        await using var loggedIn = await WebSocketClient.ConnectAsync(node.WebPort);
        await loggedIn.RegisterAsync(TestPhones.New());
        await using var anonymous = await WebSocketClient.ConnectAsync(node.WebPort);
        await anonymous.SendAsync(new Ping { Nonce = 1 });
        await anonymous.ExpectAsync<Pong>();

        var closes = new[] { loggedIn.ExpectClosedAsync(), anonymous.ExpectClosedAsync() };
        await node.TerminateAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([WebSocketCloseStatus.NormalClosure, WebSocketCloseStatus.NormalClosure], await Task.WhenAll(closes));
        Assert.Equal(0, node.ExitCode);
    }
}

/// <summary>A node with a short idle timeout and room for two connections.</summary>
public sealed class TightLimitsNodeFixture : WebNodeFixture
{
    protected override string NodeConfig => Config + """

        akkachat.connection.idle-timeout = 6s
        akkachat.connection.max-connections = 2
        """;
}

/// <summary>The connection limits of TCP apply to WebSocket sessions, counted together with TCP ones.</summary>
[Trait("Category", "Slow")]
public sealed class WebSocketLimitsTests(TightLimitsNodeFixture fixture) : IClassFixture<TightLimitsNodeFixture>
{
    [Fact]
    public async Task A_silent_websocket_session_gets_idle_timeout_and_close_code_1000()
    {
        // Nothing sent at all: the idle timer runs from the connection's start, before login too.
        await using var web = await WebSocketClient.ConnectAsync(fixture.Node.WebPort);
        var error = await web.ExpectAsync<Error>(TimeSpan.FromSeconds(30));
        Assert.Equal(ErrorCode.IdleTimeout, error.ErrorCode);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await web.ExpectClosedAsync());
    }

    [Fact]
    public async Task A_websocket_past_the_connection_limit_shared_with_tcp_gets_overloaded_and_close_code_1013()
    {
        await using var tcp1 = await fixture.Node.ConnectAsync();
        await using var tcp2 = await fixture.Node.ConnectAsync();
        foreach (var tcp in new[] { tcp1, tcp2 })
        {
            await tcp.SendAsync(new Ping { Nonce = 1 }); // both are open and counted
            await tcp.ExpectAsync<Pong>();
        }

        await using var web = await WebSocketClient.ConnectAsync(fixture.Node.WebPort);
        await web.ExpectErrorAsync(ErrorCode.Overloaded);
        Assert.Equal((WebSocketCloseStatus)1013, await web.ExpectClosedAsync());
    }
}
