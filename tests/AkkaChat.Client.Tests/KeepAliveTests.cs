using AkkaChat.TestKit;

namespace AkkaChat.Client.Tests;

/// <summary>PING keep-alive against a node with a three-second idle timeout.</summary>
[Trait("Category", "Slow")]
public sealed class KeepAliveTests
{
    [Fact]
    public async Task Pings_keep_a_quiet_session_open_past_the_idle_timeout_while_a_client_without_them_reconnects()
    {
        await using var node = await NodeProcess.StartAsync(NodeFixture.Config + "\nakkachat.connection.idle-timeout = 3s\n");
        var pinging = Clients.For(node) with { PingInterval = TimeSpan.FromMilliseconds(500) };
        var silent = Clients.For(node) with { PingInterval = TimeSpan.FromHours(1) };
        await WarmUpAsync(node);
        await using var a = await Clients.RegisterAsync(node, TestPhones.New(), pinging);
        await using var b = await Clients.RegisterAsync(node, TestPhones.New(), silent);
        var aStates = Record(a);
        var bStates = Record(b);

        // The silent client is cut by the idle timeout, reconnects and logs in again by itself.
        await Eventually.TrueAsync(() => Snapshot(bStates).Contains(ConnectionState.Reconnecting), "the silent client was cut for idling");
        await Eventually.StateAsync(b, ConnectionState.Ready);

        Assert.Empty(Snapshot(aStates));
        await a.SendTextAsync(b.Credentials!.Phone, "still connected").WaitAsync(Clients.Timeout);
        Assert.Empty(Snapshot(aStates));
    }

    /// <summary>
    /// The first registration on a fresh node starts its sharding and journal, which can take longer
    /// than the idle timeout on a busy machine; the node then cuts the waiting client. Try until one works.
    /// </summary>
    private static async Task WarmUpAsync(NodeProcess node)
    {
        var deadline = DateTime.UtcNow + Clients.Timeout;
        while (true)
        {
            try
            {
                await using var client = await Clients.RegisterAsync(node, TestPhones.New());
                return;
            }
            catch (Exception e) when (e is AkkaChatException { Code: AkkaChat.Protocol.ErrorCode.IdleTimeout } or IOException && DateTime.UtcNow < deadline)
            {
                // cut while the node was starting up: it is warmer now
            }
        }
    }

    private static List<ConnectionState> Record(AkkaChatClient client)
    {
        var states = new List<ConnectionState>();
        client.StateChanged += s =>
        {
            lock (states)
            {
                states.Add(s);
            }
        };
        return states;
    }

    private static ConnectionState[] Snapshot(List<ConnectionState> states)
    {
        lock (states)
        {
            return states.ToArray();
        }
    }
}
