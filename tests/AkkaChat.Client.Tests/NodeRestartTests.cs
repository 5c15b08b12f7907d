using AkkaChat.TestKit;

namespace AkkaChat.Client.Tests;

/// <summary>A node killed and started again under connected clients. Each test runs its own node.</summary>
[Trait("Category", "Slow")]
public sealed class NodeRestartTests
{
    [Fact]
    public async Task A_node_killed_and_restarted_in_the_middle_of_200_sends_loses_nothing_and_duplicates_nothing()
    {
        const int count = 200;
        await using var node = await NodeProcess.StartAsync(NodeFixture.Config);
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(node, alice, Clients.For(node) with { MaxPendingSends = 16 });
        await using var b = await Clients.RegisterAsync(node, bob);
        await using var bobEvents = new EventLog(b);
        var bobStates = new List<ConnectionState>();
        b.StateChanged += s =>
        {
            lock (bobStates)
            {
                bobStates.Add(s);
            }
        };

        var acked = 0;
        var sends = Enumerable.Range(0, count)
            .Select(i => a.SendTextAsync(bob, $"#{i}", $"k-{i}").ContinueWith(t =>
            {
                Interlocked.Increment(ref acked);
                return t;
            }).Unwrap())
            .ToArray();
        await Eventually.TrueAsync(() => Volatile.Read(ref acked) >= 100, "100 sends are acknowledged");
        await node.KillAsync();
        await node.StartAsync(); // same port and data: both clients reconnect and log in again
        var acks = await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(60));

        var fence = await a.SendTextAsync(bob, "fence").WaitAsync(TimeSpan.FromSeconds(60));
        try
        {
            await bobEvents.WaitForAsync(l => l.Messages.Any(m => m.ServerMsgId == fence.ServerMsgId), "the fence message arrived", TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"bob is {b.State} with {bobEvents.Messages.Count} messages; the node logged:\n{node.Output}");
        }

        var received = bobEvents.Messages.SkipLast(1).ToArray();
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"#{i}"), received.Select(m => m.Text));
        Assert.Equal(acks.Select(ack => ack.ServerMsgId), received.Select(m => m.ServerMsgId));
        lock (bobStates)
        {
            Assert.Contains(ConnectionState.Reconnecting, bobStates);
        }
    }
}
