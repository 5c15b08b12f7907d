using System.Data.Common;
using AkkaChat.Node.Storage;
using static AkkaChat.Node.Storage.SqlTables;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AkkaChat.Node.UserDirectory.Internal;

/// <summary>
/// The directory table, <c>akkachat_user_directory</c>, in the journal's database (SQLite or
/// PostgreSQL): one row per registered number, its token hashes packed as 32-byte slices in one
/// column (at most akkachat.registration.max-device-tokens of them, newest last), and whether the
/// user's journal is known to hold the registration. Created on first use. Every call opens a pooled connection, so calls may run concurrently.
/// </summary>
internal sealed class SqlUserDirectory : IUserDirectory
{
    private const int HashBytes = 32;

    private readonly SqlTables _tables;
    // Registered users only: an unregistered answer is always read from the table, because the number
    // may register on another node at any moment.
    private readonly LruCache<DirectoryEntry> _cache;

    private SqlUserDirectory(Func<DbConnection> open, bool postgres, int cacheCapacity)
    {
        _tables = new SqlTables(open,
        [
            "CREATE TABLE IF NOT EXISTS akkachat_user_directory (" +
            "phone TEXT PRIMARY KEY, registered_at_ms BIGINT NOT NULL, " +
            $"token_hashes {(postgres ? "BYTEA" : "BLOB")} NOT NULL, confirmed SMALLINT NOT NULL)",
        ]);
        _cache = new LruCache<DirectoryEntry>(cacheCapacity, e => e.Phone);
    }

    public static SqlUserDirectory Sqlite(string file, int cacheCapacity) =>
        new(() => new SqliteConnection($"Data Source={file};Pooling=True"), postgres: false, cacheCapacity);

    public static SqlUserDirectory PostgreSql(string connectionString, int cacheCapacity) =>
        new(() => new NpgsqlConnection(connectionString), postgres: true, cacheCapacity);

    /// <summary>Entries held by the cache now.</summary>
    public int CachedCount => _cache.Count;

    public bool TryGetCached(string phone, out DirectoryEntry entry) => _cache.TryGet(phone, out entry);

    public async Task<DirectoryEntry?> FindAsync(string phone, bool refresh = false, CancellationToken cancel = default)
    {
        if (!refresh && _cache.TryGet(phone, out var cached))
        {
            return cached;
        }

        var found = await FindManyAsync([phone], cancel).ConfigureAwait(false);
        return found.GetValueOrDefault(phone);
    }

    public async Task<IReadOnlyDictionary<string, DirectoryEntry>> FindManyAsync(IReadOnlyCollection<string> phones, CancellationToken cancel = default)
    {
        var found = new Dictionary<string, DirectoryEntry>(StringComparer.Ordinal);
        if (phones.Count == 0)
        {
            return found;
        }

        await using var connection = await _tables.OpenAsync(cancel).ConfigureAwait(false);
        foreach (var chunk in phones.Distinct(StringComparer.Ordinal).Chunk(MaxParametersPerQuery))
        {
            await using var command = connection.CreateCommand();
            var names = new string[chunk.Length];
            for (var i = 0; i < chunk.Length; i++)
            {
                names[i] = "@p" + i;
                AddParameter(command, names[i], chunk[i]);
            }

            command.CommandText = $"SELECT phone, registered_at_ms, token_hashes, confirmed FROM akkachat_user_directory WHERE phone IN ({string.Join(',', names)})";
            await using var reader = await command.ExecuteReaderAsync(cancel).ConfigureAwait(false);
            while (await reader.ReadAsync(cancel).ConfigureAwait(false))
            {
                var entry = new DirectoryEntry(reader.GetString(0), reader.GetInt64(1), Unpack((byte[])reader.GetValue(2)), Convert.ToInt32(reader.GetValue(3)) != 0);
                found[entry.Phone] = entry;
                Cache(entry);
            }
        }

        return found;
    }

    public async Task WriteAsync(DirectoryEntry entry, CancellationToken cancel = default)
    {
        await using var connection = await _tables.OpenAsync(cancel).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText =
            "INSERT INTO akkachat_user_directory (phone, registered_at_ms, token_hashes, confirmed) VALUES (@phone, @at, @tokens, @confirmed) " +
            "ON CONFLICT (phone) DO UPDATE SET token_hashes = excluded.token_hashes, " +
            "confirmed = CASE WHEN excluded.confirmed = 1 THEN 1 ELSE akkachat_user_directory.confirmed END";
        AddParameter(command, "@phone", entry.Phone);
        AddParameter(command, "@at", entry.RegisteredAtMs);
        AddParameter(command, "@tokens", Pack(entry.TokenHashes));
        AddParameter(command, "@confirmed", entry.Confirmed ? 1 : 0);
        await command.ExecuteNonQueryAsync(cancel).ConfigureAwait(false);
        _cache.Remove(entry.Phone); // the row may hold an older registration time or a confirmation: read it back when asked
    }

    public async Task ConfirmAsync(string phone, CancellationToken cancel = default)
    {
        await using var connection = await _tables.OpenAsync(cancel).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE akkachat_user_directory SET confirmed = 1 WHERE phone = @phone";
        AddParameter(command, "@phone", phone);
        await command.ExecuteNonQueryAsync(cancel).ConfigureAwait(false);
    }

    /// <summary>Only confirmed entries are cached: an unconfirmed one must be read again until its user actor decides.</summary>
    private void Cache(DirectoryEntry entry)
    {
        if (entry.Confirmed)
        {
            _cache.Put(entry);
        }
        else
        {
            _cache.Remove(entry.Phone);
        }
    }

    public async Task RemoveAsync(string phone, CancellationToken cancel = default)
    {
        _cache.Remove(phone);
        await using var connection = await _tables.OpenAsync(cancel).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM akkachat_user_directory WHERE phone = @phone";
        AddParameter(command, "@phone", phone);
        await command.ExecuteNonQueryAsync(cancel).ConfigureAwait(false);
    }

    /// <summary>
    /// Ids of the form <c>user-PHONE</c> in Akka.Persistence.Sql's <c>journal</c> and <c>snapshot</c>
    /// tables without a directory row for PHONE. A table not created yet (a database that never held a
    /// journal) holds none.
    /// </summary>
    public async Task<IReadOnlyCollection<string>> UnlistedUserJournalsAsync(CancellationToken cancel = default)
    {
        var phones = new HashSet<string>(StringComparer.Ordinal);
        await using var connection = await _tables.OpenAsync(cancel).ConfigureAwait(false);
        foreach (var table in new[] { "journal", "snapshot" })
        {
            await using var command = connection.CreateCommand();
            command.CommandText =
                $"SELECT DISTINCT t.persistence_id FROM {table} t WHERE t.persistence_id LIKE 'user-%' " +
                "AND NOT EXISTS (SELECT 1 FROM akkachat_user_directory d WHERE d.phone = SUBSTR(t.persistence_id, 6))";
            try
            {
                await using var reader = await command.ExecuteReaderAsync(cancel).ConfigureAwait(false);
                while (await reader.ReadAsync(cancel).ConfigureAwait(false))
                {
                    phones.Add(reader.GetString(0)["user-".Length..]);
                }
            }
            catch (Exception e) when (IsMissingTable(e))
            {
                // No journal written here yet: nothing predates the directory.
            }
        }

        return phones;
    }

    private static bool IsMissingTable(Exception e) =>
        e is SqliteException { SqliteErrorCode: 1 } sqlite && sqlite.Message.Contains("no such table", StringComparison.Ordinal)
        || e is PostgresException { SqlState: PostgresErrorCodes.UndefinedTable };

    private static byte[] Pack(IReadOnlyList<byte[]> hashes)
    {
        var packed = new byte[hashes.Count * HashBytes];
        for (var i = 0; i < hashes.Count; i++)
        {
            if (hashes[i].Length != HashBytes)
            {
                throw new ArgumentException($"a token hash is {HashBytes} bytes, not {hashes[i].Length}");
            }

            hashes[i].CopyTo(packed, i * HashBytes);
        }

        return packed;
    }

    private static byte[][] Unpack(byte[] packed) => packed.Chunk(HashBytes).ToArray();
}
