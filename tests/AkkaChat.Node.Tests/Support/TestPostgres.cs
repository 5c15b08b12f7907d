using Npgsql;

namespace AkkaChat.Node.Tests.Support;

/// <summary>
/// A fresh PostgreSQL database for one test, dropped on dispose, on the server AKKACHAT_TEST_POSTGRES
/// names (scripts/build.sh starts one for the slow suites) or the default local one. No server is a
/// failure, never a skip.
/// </summary>
internal sealed class TestPostgres : IAsyncDisposable
{
    private const string DefaultServer = "Host=127.0.0.1;Port=5433;Username=akkachat;Database=postgres";

    private readonly string _server;

    private TestPostgres(string server, string name)
    {
        _server = server;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name, Pooling = true }.ConnectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static async Task<TestPostgres> CreateAsync()
    {
        var server = Environment.GetEnvironmentVariable("AKKACHAT_TEST_POSTGRES") ?? DefaultServer;
        var name = "akkachat_node_test_" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            await using var connection = new NpgsqlConnection(server);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException e)
        {
            throw new InvalidOperationException(
                $"No PostgreSQL server at '{server}' ({e.Message}). Start one with scripts/start-postgres.sh, or set AKKACHAT_TEST_POSTGRES.", e);
        }

        return new TestPostgres(server, name);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
