using AkkaChat.Protocol;
using AkkaChat.TestKit;

namespace AkkaChat.Client.Tests;

/// <summary>The server list and the client_msg_id limit as options.</summary>
[Trait("Category", "Slow")]
public sealed class ServerListTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    [Fact]
    public async Task A_client_skips_a_dead_server_of_its_list_and_logs_in_on_a_live_one()
    {
        var dead = $"tcp://127.0.0.1:{NodeProcess.FreePort()}";
        var options = Clients.For(fixture.Node) with { Servers = [dead, $"tcp://127.0.0.1:{fixture.Node.Port}"] };
        var phone = TestPhones.New();

        await using var client = await Clients.RegisterAsync(fixture.Node, phone, options);

        Assert.Equal(ConnectionState.Ready, client.State);
        Assert.Equal(phone, client.Credentials!.Phone);
    }

    [Fact]
    public async Task A_client_whose_list_has_a_dead_entry_comes_back_after_a_lost_connection()
    {
        // The live node first, in host:port form: the first reconnect attempt goes to the dead
        // entry, and the client must move on past it to be Ready again with the send answered.
        var dead = $"tcp://127.0.0.1:{NodeProcess.FreePort()}";
        var options = Clients.For(fixture.Node) with { Servers = [$"127.0.0.1:{fixture.Node.Port}", dead] };
        await using var a = await Clients.RegisterAsync(fixture.Node, TestPhones.New(), options);
        await using var b = await Clients.RegisterAsync(fixture.Node, TestPhones.New());

        a.AbortConnection();
        var ack = await a.SendTextAsync(b.Credentials!.Phone, "after the cut").WaitAsync(Clients.Timeout);

        Assert.False(string.IsNullOrEmpty(ack.ServerMsgId));
        Assert.Equal(ConnectionState.Ready, a.State);
    }
}

public sealed class ClientMsgIdLimitTests
{
    [Fact]
    public void The_client_msg_id_limit_defaults_to_the_protocol_rule() =>
        Assert.Equal(ProtocolRules.DefaultMaxClientMsgIdLength, new ClientOptions().MaxClientMsgIdLength);

    [Fact]
    public async Task A_client_msg_id_above_the_configured_limit_is_refused_before_it_is_sent()
    {
        await using var client = new AkkaChatClient(new ClientOptions { MaxClientMsgIdLength = 8 });

        var error = await Assert.ThrowsAsync<AkkaChatException>(() => client.SendTextAsync("+15550001", "hi", clientMsgId: "123456789"));

        Assert.Equal(ErrorCode.BadRequest, error.Code);
        Assert.Contains("1 to 8", error.Message);
    }

    [Fact]
    public void A_malformed_server_entry_is_refused_when_the_client_is_made() =>
        Assert.Throws<ArgumentException>(() => new AkkaChatClient(new ClientOptions { Servers = ["tcp://nowhere"] }));
}
