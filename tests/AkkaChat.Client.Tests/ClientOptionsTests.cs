namespace AkkaChat.Client.Tests;

public sealed class ClientOptionsTests
{
    [Fact]
    public void The_defaults_are_the_documented_ones()
    {
        var options = new ClientOptions();

        Assert.Equal(("localhost", 4700), (options.Host, options.Port));
        Assert.Equal(TimeSpan.FromSeconds(10), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.ReconnectInitialDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ReconnectMaxDelay);
        Assert.Equal(TimeSpan.FromSeconds(60), options.PingInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.PongTimeout);
        Assert.Equal(256, options.MaxPendingSends);
        Assert.Equal(256, options.EventBufferSize);
        Assert.Equal(4096, options.DuplicateMemory);
        Assert.Equal(TimeSpan.FromMilliseconds(50), options.AckDelay);
    }

    [Fact]
    public void Invalid_options_are_refused_when_the_client_is_made()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AkkaChatClient(new ClientOptions { Port = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AkkaChatClient(new ClientOptions { MaxPendingSends = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AkkaChatClient(new ClientOptions { ReconnectMaxDelay = TimeSpan.FromMilliseconds(1) }));
        Assert.Throws<ArgumentException>(() => new AkkaChatClient(new ClientOptions { Host = " " }));
    }

    [Fact]
    public async Task Sending_before_login_is_refused()
    {
        await using var client = new AkkaChatClient();

        await Assert.ThrowsAsync<InvalidOperationException>(() => client.SendTextAsync("+15550001", "hi"));
    }

    [Fact]
    public async Task A_refused_connection_surfaces_as_a_socket_error_without_retrying_before_login()
    {
        await using var client = new AkkaChatClient(new ClientOptions { Host = "127.0.0.1", Port = AkkaChat.TestKit.NodeProcess.FreePort() });

        await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(() => client.RequestCodeAsync("+15550001"));
        Assert.Equal(ConnectionState.Disconnected, client.State);
    }
}
