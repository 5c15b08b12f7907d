using System.Data.Common;
using AkkaChat.Node.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;
using static AkkaChat.Node.Storage.SqlTables;

namespace AkkaChat.Node.Presence.Internal;

/// <summary>
/// <c>akkachat_chats (low, high)</c>: one row per pair of users with a chat, the lesser number
/// first, primary key (low, high) and an index on (high, low); <c>akkachat_group_members
/// (group_id, phone)</c>, primary key (group_id, phone) and an index on (phone, group_id). In the
/// journal's database (SQLite or PostgreSQL), created on first use; every call opens a pooled
/// connection.
/// </summary>
internal sealed class SqlAcquaintances : IAcquaintances
{
    private readonly SqlTables _tables;

    private SqlAcquaintances(Func<DbConnection> open) => _tables = new SqlTables(open,
    [
        "CREATE TABLE IF NOT EXISTS akkachat_chats (low TEXT NOT NULL, high TEXT NOT NULL, PRIMARY KEY (low, high))",
        "CREATE INDEX IF NOT EXISTS akkachat_chats_by_high ON akkachat_chats (high, low)",
        "CREATE TABLE IF NOT EXISTS akkachat_group_members (group_id TEXT NOT NULL, phone TEXT NOT NULL, PRIMARY KEY (group_id, phone))",
        "CREATE INDEX IF NOT EXISTS akkachat_group_members_by_phone ON akkachat_group_members (phone, group_id)",
    ]);

    public static SqlAcquaintances Sqlite(string file) => new(() => new SqliteConnection($"Data Source={file};Pooling=True"));

    public static SqlAcquaintances PostgreSql(string connectionString) => new(() => new NpgsqlConnection(connectionString));

    public async Task RecordChatsAsync(IReadOnlyCollection<(string A, string B)> pairs, CancellationToken cancel = default)
    {
        var rows = pairs
            .Where(p => p.A != p.B)
            .Select(p => string.CompareOrdinal(p.A, p.B) < 0 ? (Low: p.A, High: p.B) : (Low: p.B, High: p.A))
            .Distinct()
            .ToList();
        if (rows.Count == 0)
        {
            return;
        }

        await using var connection = await _tables.OpenAsync(cancel).ConfigureAwait(false);
        foreach (var chunk in rows.Chunk(MaxParametersPerQuery / 2))
        {
            await using var insert = connection.CreateCommand();
            var values = new string[chunk.Length];
            for (var i = 0; i < chunk.Length; i++)
            {
                values[i] = $"(@l{i}, @h{i})";
                AddParameter(insert, "@l" + i, chunk[i].Low);
                AddParameter(insert, "@h" + i, chunk[i].High);
            }

            insert.CommandText = $"INSERT INTO akkachat_chats (low, high) VALUES {string.Join(',', values)} ON CONFLICT DO NOTHING";
            await insert.ExecuteNonQueryAsync(cancel).ConfigureAwait(false);
        }
    }

    public Task ReplaceGroupMembersAsync(string groupId, IReadOnlyCollection<string> members, CancellationToken cancel = default) =>
        _tables.ReplaceSetAsync("akkachat_group_members", "group_id", groupId, "phone", members, cancel);

    // Three indexed lookups: chats where owner is the lesser number, where it is the greater, and
    // the members of owner's groups.
    public Task<IReadOnlySet<string>> AcquaintedAsync(string owner, IReadOnlyCollection<string> phones, CancellationToken cancel = default) =>
        _tables.MatchingAsync(owner, phones, list =>
            $"SELECT high FROM akkachat_chats WHERE low = @owner AND high IN ({list}) " +
            $"UNION SELECT low FROM akkachat_chats WHERE high = @owner AND low IN ({list}) " +
            "UNION SELECT theirs.phone FROM akkachat_group_members mine " +
            "JOIN akkachat_group_members theirs ON theirs.group_id = mine.group_id " +
            $"WHERE mine.phone = @owner AND theirs.phone IN ({list})", cancel);
}
