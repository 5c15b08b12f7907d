using System.Diagnostics;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Google.Protobuf;
using Xunit.Abstractions;

namespace AkkaChat.EndToEnd.Tests;

/// <summary>
/// Fault drill: the node's PostgreSQL stops and comes back. The drill runs a PostgreSQL server of
/// its own (<see cref="PrivatePostgres"/>), never the shared one.
/// </summary>
[Trait("Category", "Slow")]
public sealed class DatabaseOutageDrillTests(ITestOutputHelper output)
{
    private static readonly TimeSpan AnswerDeadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task While_the_database_is_down_sends_are_refused_never_acknowledged_and_the_node_recovers_by_itself_losing_nothing_acknowledged()
    {
        await using var database = await PrivatePostgres.StartNewAsync();
        await using var node = await NodeProcess.StartAsync($"""
            akkachat.storage.provider = postgresql
            akkachat.storage.connection-string = "{database.ConnectionString}"
            akkachat.connection.send-answer-timeout = 5s
            """);
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        ByteString bobToken;
        await using (var b = await node.ConnectAsync())
        {
            bobToken = (await b.RegisterAsync(bob)).Token;
        }

        await using var a = await node.ConnectAsync();
        await a.RegisterAsync(alice);
        var acknowledged = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            acknowledged.Add((await a.SendTextAsync(bob, $"before-{i}", $"before {i}")).ServerMsgId);
        }

        await database.StopAsync();
        output.WriteLine("database stopped");
        var refused = 0;
        for (var i = 0; i < 5; i++)
        {
            var id = $"during-{i}";
            await a.SendAsync(new Send { ClientMsgId = id, To = bob, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8(id) });
            switch ((await a.ReadFrameAsync(AnswerDeadline))?.Message)
            {
                case Error error:
                    Assert.Equal(id, error.Ref);
                    output.WriteLine($"{id}: {error.ErrorCode} {error.Message}");
                    refused++;
                    break;
                case var other:
                    Assert.Fail($"a SEND while the database is down got {other?.ToString() ?? "the connection closed"}, not an ERROR");
                    break;
            }
        }

        Assert.Equal(5, refused);
        await database.StartAsync();
        output.WriteLine("database started");

        // The node recovers by itself: the same SEND is retried (same client_msg_id) until acknowledged.
        var recovery = Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            var id = $"after-{i}";
            while (true)
            {
                Assert.True(recovery.Elapsed < TimeSpan.FromMinutes(2), "the node did not accept SENDs within 2 minutes of the database coming back");
                await a.SendAsync(new Send { ClientMsgId = id, To = bob, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8(id) });
                var answer = (await a.ReadFrameAsync(AnswerDeadline))?.Message;
                if (answer is SendAck ack)
                {
                    acknowledged.Add(ack.ServerMsgId);
                    break;
                }

                Assert.True(answer is Error, $"a SEND after the database came back got {answer?.ToString() ?? "the connection closed"}");
                await Task.Delay(500); // the client's retry backoff
            }
        }

        output.WriteLine($"SENDs acknowledged again {recovery.Elapsed.TotalSeconds:0.0} s after the database came back");

        // Every acknowledged message is delivered, exactly once.
        await using var reader = await node.ConnectAsync();
        var ok = await reader.LoginAsync(bob, bobToken);
        var delivered = new List<string>();
        for (var i = 0UL; i < ok.Pending; i++)
        {
            delivered.Add((await reader.ExpectAsync<Deliver>(AnswerDeadline)).ServerMsgId);
        }

        Assert.Equal(delivered.Count, delivered.Distinct().Count());
        Assert.Empty(acknowledged.Except(delivered));
        output.WriteLine($"{acknowledged.Count} acknowledged, {delivered.Count} delivered");
    }
}
