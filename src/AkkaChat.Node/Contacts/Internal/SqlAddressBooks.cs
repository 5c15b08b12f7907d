using System.Data.Common;
using AkkaChat.Node.Storage;
using static AkkaChat.Node.Storage.SqlTables;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AkkaChat.Node.Contacts.Internal;

/// <summary>
/// The address book table, <c>akkachat_contacts (owner, contact)</c>, primary key (owner, contact)
/// and an index on (contact, owner), in the journal's database (SQLite or PostgreSQL). Created on
/// first use. Every call opens a pooled connection, so calls may run concurrently.
/// </summary>
internal sealed class SqlAddressBooks : IAddressBooks
{
    // Rows per statement: well below SQLite's limit of bound parameters.
    private const int MaxParametersPerQuery = 500;

    private readonly SqlTables _tables;

    private SqlAddressBooks(Func<DbConnection> open) => _tables = new SqlTables(open,
    [
        "CREATE TABLE IF NOT EXISTS akkachat_contacts (owner TEXT NOT NULL, contact TEXT NOT NULL, PRIMARY KEY (owner, contact))",
        "CREATE INDEX IF NOT EXISTS akkachat_contacts_by_contact ON akkachat_contacts (contact, owner)",
    ]);

    public static SqlAddressBooks Sqlite(string file) => new(() => new SqliteConnection($"Data Source={file};Pooling=True"));

    public static SqlAddressBooks PostgreSql(string connectionString) => new(() => new NpgsqlConnection(connectionString));

    public async Task ReplaceAsync(string owner, IReadOnlyCollection<string> contacts, CancellationToken cancel = default)
    {
        await using var connection = await _tables.OpenAsync(cancel).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancel).ConfigureAwait(false);
        await using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM akkachat_contacts WHERE owner = @owner";
            AddParameter(delete, "@owner", owner);
            await delete.ExecuteNonQueryAsync(cancel).ConfigureAwait(false);
        }

        foreach (var chunk in contacts.Chunk(MaxParametersPerQuery - 1))
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            AddParameter(insert, "@owner", owner);
            var rows = new string[chunk.Length];
            for (var i = 0; i < chunk.Length; i++)
            {
                rows[i] = $"(@owner, @c{i})";
                AddParameter(insert, "@c" + i, chunk[i]);
            }

            insert.CommandText = $"INSERT INTO akkachat_contacts (owner, contact) VALUES {string.Join(',', rows)} ON CONFLICT DO NOTHING";
            await insert.ExecuteNonQueryAsync(cancel).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancel).ConfigureAwait(false);
    }

    public async Task<IReadOnlySet<string>> ContainedAsync(string owner, IReadOnlyCollection<string> phones, CancellationToken cancel = default)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        if (phones.Count == 0)
        {
            return found;
        }

        await using var connection = await _tables.OpenAsync(cancel).ConfigureAwait(false);
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

            command.CommandText = $"SELECT contact FROM akkachat_contacts WHERE owner = @owner AND contact IN ({string.Join(',', names)})";
            await using var reader = await command.ExecuteReaderAsync(cancel).ConfigureAwait(false);
            while (await reader.ReadAsync(cancel).ConfigureAwait(false))
            {
                found.Add(reader.GetString(0));
            }
        }

        return found;
    }

    public async Task<IReadOnlyList<string>> MutualAsync(string owner, CancellationToken cancel = default)
    {
        await using var connection = await _tables.OpenAsync(cancel).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        // mine: my book; theirs: the rows of the people in it that name me.
        command.CommandText =
            "SELECT mine.contact FROM akkachat_contacts mine " +
            "JOIN akkachat_contacts theirs ON theirs.owner = mine.contact AND theirs.contact = mine.owner " +
            "WHERE mine.owner = @owner ORDER BY mine.contact";
        AddParameter(command, "@owner", owner);
        var mutual = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancel).ConfigureAwait(false);
        while (await reader.ReadAsync(cancel).ConfigureAwait(false))
        {
            mutual.Add(reader.GetString(0));
        }

        return mutual;
    }

}
