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
    private readonly SqlTables _tables;

    private SqlAddressBooks(Func<DbConnection> open) => _tables = new SqlTables(open,
    [
        "CREATE TABLE IF NOT EXISTS akkachat_contacts (owner TEXT NOT NULL, contact TEXT NOT NULL, PRIMARY KEY (owner, contact))",
        "CREATE INDEX IF NOT EXISTS akkachat_contacts_by_contact ON akkachat_contacts (contact, owner)",
    ]);

    public static SqlAddressBooks Sqlite(string file) => new(() => new SqliteConnection($"Data Source={file};Pooling=True"));

    public static SqlAddressBooks PostgreSql(string connectionString) => new(() => new NpgsqlConnection(connectionString));

    public Task ReplaceAsync(string owner, IReadOnlyCollection<string> contacts, CancellationToken cancel = default) =>
        _tables.ReplaceSetAsync("akkachat_contacts", "owner", owner, "contact", contacts, cancel);

    public Task<IReadOnlySet<string>> ContainedAsync(string owner, IReadOnlyCollection<string> phones, CancellationToken cancel = default) =>
        _tables.MatchingAsync(owner, phones, list => $"SELECT contact FROM akkachat_contacts WHERE owner = @owner AND contact IN ({list})", cancel);

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
