using AkkaChat.Client.Transport;

namespace AkkaChat.Client.Tests;

public sealed class ServerAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:4700", "tcp", "127.0.0.1", 4700)]
    [InlineData("tcp://chat.example:4701", "tcp", "chat.example", 4701)]
    [InlineData("TCP://node-2:4702/", "tcp", "node-2", 4702)]
    [InlineData("[::1]:4700", "tcp", "::1", 4700)]
    [InlineData("tcp://[::1]:4700", "tcp", "::1", 4700)]
    [InlineData("ws://web.example:8080", "ws", "web.example", 8080)]
    [InlineData("WS://web.example:4780/", "ws", "web.example", 4780)]
    public void A_server_entry_parses_with_or_without_its_scheme(string text, string scheme, string host, int port) =>
        Assert.Equal(new ServerAddress(scheme, host, port), ServerAddress.Parse(text));

    [Fact]
    public void A_websocket_entry_uses_the_protocol_path_unless_it_names_one()
    {
        Assert.Equal(new Uri("ws://127.0.0.1:4780/v1/ws"), WebSocketFrameTransport.UriOf(ServerAddress.Parse("ws://127.0.0.1:4780")));
        var named = ServerAddress.Parse("ws://chat.example:80/edge/v1/ws");
        Assert.Equal("/edge/v1/ws", named.Path);
        Assert.Equal(new Uri("ws://chat.example:80/edge/v1/ws"), WebSocketFrameTransport.UriOf(named));
        Assert.Equal("ws://chat.example:80/edge/v1/ws", named.ToString());
    }

    [Fact]
    public void A_path_on_a_tcp_entry_is_refused_with_a_reason()
    {
        Assert.False(ServerAddress.TryParse("tcp://host:4700/chat", out _, out var problem));
        Assert.Contains("only a ws:// entry", problem);
    }

    [Theory]
    [InlineData("")]
    [InlineData("localhost")]
    [InlineData("localhost:0")]
    [InlineData("localhost:70000")]
    [InlineData("tcp://:4700")]
    [InlineData("://host:4700")]
    public void A_malformed_server_entry_is_refused_with_a_reason(string text)
    {
        Assert.False(ServerAddress.TryParse(text, out _, out var problem));
        Assert.Contains("'" + text + "'", problem);
    }

    [Fact]
    public void An_ipv6_endpoint_is_written_back_in_brackets() =>
        Assert.Equal("tcp://[::1]:4700", ServerAddress.Parse("[::1]:4700").ToString());

    [Fact]
    public async Task A_scheme_without_a_transport_is_refused_when_connecting() =>
        await Assert.ThrowsAsync<NotSupportedException>(() => FrameTransports.ConnectAsync(ServerAddress.Parse("quic://localhost:1"), TimeSpan.FromSeconds(1), CancellationToken.None));
}
