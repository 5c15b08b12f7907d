using Npgsql;

namespace AkkaChat.TestKit;

/// <summary>
/// A fresh, empty PostgreSQL database for one test cluster, dropped on dispose. The server is
/// the one scripts/start-postgres.sh starts, or the one AKKACHAT_TEST_POSTGRES names (a connection
/// string to any database on it; the kit creates its own databases next to it).
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string DefaultServer = "Host=127.0.0.1;Port=5433;Username=akkachat;Database=postgres";

    private readonly string _server;

    private PostgresDatabase(string server, string name)
    {
        _server = server;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name, Pooling = true }.ConnectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static string Server => Environment.GetEnvironmentVariable("AKKACHAT_TEST_POSTGRES") ?? DefaultServer;

    public static async Task<PostgresDatabase> CreateAsync(string? server = null)
    {
        server ??= Server;
        var name = "akkachat_test_" + Guid.NewGuid().ToString("N")[..12];
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

        return new PostgresDatabase(server, name);
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
