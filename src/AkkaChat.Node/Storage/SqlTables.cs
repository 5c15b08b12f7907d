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
    /// <summary>Bound parameters per statement: well below SQLite's limit.</summary>
    public const int MaxParametersPerQuery = 500;

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

    /// <summary>
    /// Replaces, in one transaction, the set of <paramref name="valueColumn"/> values stored under
    /// <paramref name="key"/> in a two-column table: the old rows go, the new ones (duplicates
    /// dropped) are inserted in multi-row statements.
    /// </summary>
    public async Task ReplaceSetAsync(string table, string keyColumn, string key, string valueColumn, IEnumerable<string> values, CancellationToken cancel)
    {
        await using var connection = await OpenAsync(cancel).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancel).ConfigureAwait(false);
        await using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            delete.CommandText = $"DELETE FROM {table} WHERE {keyColumn} = @key";
            AddParameter(delete, "@key", key);
            await delete.ExecuteNonQueryAsync(cancel).ConfigureAwait(false);
        }

        foreach (var chunk in values.Distinct(StringComparer.Ordinal).Chunk(MaxParametersPerQuery - 1))
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            AddParameter(insert, "@key", key);
            var rows = new string[chunk.Length];
            for (var i = 0; i < chunk.Length; i++)
            {
                rows[i] = $"(@key, @v{i})";
                AddParameter(insert, "@v" + i, chunk[i]);
            }

            insert.CommandText = $"INSERT INTO {table} ({keyColumn}, {valueColumn}) VALUES {string.Join(',', rows)} ON CONFLICT DO NOTHING";
            await insert.ExecuteNonQueryAsync(cancel).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancel).ConfigureAwait(false);
    }

    /// <summary>
    /// Which of <paramref name="phones"/> a query about <paramref name="owner"/> returns, asked in
    /// chunks: <paramref name="query"/> gets the chunk's parameter list (<c>@p0,@p1,...</c>) and uses
    /// <c>@owner</c>; its first column is collected.
    /// </summary>
    public async Task<IReadOnlySet<string>> MatchingAsync(string owner, IReadOnlyCollection<string> phones, Func<string, string> query, CancellationToken cancel)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        if (phones.Count == 0)
        {
            return found;
        }

        await using var connection = await OpenAsync(cancel).ConfigureAwait(false);
        foreach (var chunk in phones.Distinct(StringComparer.Ordinal).Chunk(MaxParametersPerQuery - 1))
        {
            await using var command = connection.CreateCommand();
            AddParameter(command, "@owner", owner);
            var names = new string[chunk.Length];
            for (var i = 0; i < chunk.Length; i++)
            {
                names[i] = "@p" + i;
                AddParameter(command, names[i], chunk[i]);
            }

            command.CommandText = query(string.Join(',', names));
            await using var reader = await command.ExecuteReaderAsync(cancel).ConfigureAwait(false);
            while (await reader.ReadAsync(cancel).ConfigureAwait(false))
            {
                found.Add(reader.GetString(0));
            }
        }

        return found;
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
