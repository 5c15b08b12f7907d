using System.Data.Common;
using Npgsql;

namespace AkkaChat.Node.Storage;

/// <summary>
/// Connections to the journal's database for a store of the node's own tables (the user directory,
/// address books, statuses): each call opens a pooled connection, and the first one creates the
/// store's tables (idempotent statements, run once per process).
/// </summary>
internal sealed class SqlTables(Func<DbConnection> open, IReadOnlyList<string> createStatements)
{
    private readonly SemaphoreSlim _created = new(1, 1);
    private volatile bool _ready;

    /// <summary>An open connection; the tables exist once it is returned. The caller disposes it.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancel)
    {
        var connection = open();
        try
        {
            await connection.OpenAsync(cancel).ConfigureAwait(false);
            if (!_ready)
            {
                await CreateAsync(connection, cancel).ConfigureAwait(false);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private async Task CreateAsync(DbConnection connection, CancellationToken cancel)
    {
        await _created.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            if (_ready)
            {
                return;
            }

            foreach (var statement in createStatements)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = statement;
                try
                {
                    await command.ExecuteNonQueryAsync(cancel).ConfigureAwait(false);
                }
                catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
                {
                    // Another node created it at the same moment: PostgreSQL's IF NOT EXISTS does not cover that race.
                }
            }

            _ready = true;
        }
        finally
        {
            _created.Release();
        }
    }
}
