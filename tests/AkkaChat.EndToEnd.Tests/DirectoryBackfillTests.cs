using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace AkkaChat.EndToEnd.Tests;

/// <summary>
/// Users whose journals were written before the user directory existed: the node's start writes
/// their directory rows from their journals, so they log in and are sent to as before.
/// </summary>
[Trait("Category", "Slow")]
public sealed class DirectoryBackfillTests
{
    [Fact]
    public async Task A_user_registered_before_the_directory_existed_logs_in_and_is_sent_to_after_the_start_backfills_its_row()
    {
        await using var node = await NodeProcess.StartAsync(NodeFixture.Config);
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        ByteString aliceToken, bobToken;
        await using (var a = await node.ConnectAsync())
        {
            aliceToken = (await a.RegisterAsync(alice)).Token;
        }

        await using (var b = await node.ConnectAsync())
        {
            bobToken = (await b.RegisterAsync(bob)).Token;
        }

        await node.TerminateAsync(TimeSpan.FromSeconds(60));

        // The database as a node that predates the directory left it: journals, no directory table.
        var database = Path.Combine(node.DataDir, "data", "akkachat.db"); // NodeProcess runs with --data-dir DataDir/data
        Execute(database, "DROP TABLE akkachat_user_directory");

        await node.StartAsync();
        await WaitForRowsAsync(database, [alice, bob], TimeSpan.FromSeconds(60));

        await using var bobAgain = await node.ConnectAsync();
        await bobAgain.LoginAsync(bob, bobToken);
        await using var aliceAgain = await node.ConnectAsync();
        await aliceAgain.LoginAsync(alice, aliceToken);
        await aliceAgain.SendTextAsync(bob, "after-backfill", "found");
        var deliver = await bobAgain.ExpectAsync<Deliver>();
        Assert.Equal(("found", alice), (deliver.Body.ToStringUtf8(), deliver.From));
    }

    private static void Execute(string database, string sql)
    {
        using (var connection = new SqliteConnection($"Data Source={database};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Waits, with a deadline, until the directory table holds a confirmed row for each of <paramref name="phones"/>.</summary>
    private static async Task WaitForRowsAsync(string database, string[] phones, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            try
            {
                using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = $"SELECT COUNT(*) FROM akkachat_user_directory WHERE confirmed = 1 AND phone IN ('{string.Join("','", phones)}')";
                if ((long)command.ExecuteScalar()! == phones.Length)
                {
                    return;
                }
            }
            catch (SqliteException e) when (e.Message.Contains("no such table", StringComparison.Ordinal))
            {
                // not created again yet
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"the directory rows of {string.Join(", ", phones)} were not backfilled within {deadline}");
            }

            await Task.Delay(100);
        }
    }
}
