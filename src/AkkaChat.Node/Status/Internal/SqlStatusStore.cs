using System.Data.Common;
using AkkaChat.Node.Storage;
using static AkkaChat.Node.Storage.SqlTables;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AkkaChat.Node.Statuses.Internal;

/// <summary>
/// The status table, <c>akkachat_statuses</c>, in the journal's database (SQLite or PostgreSQL):
/// one row per status with its body, unique on (poster, request_id), indexed by expiry. Created on
/// first use. Every call opens a pooled connection, so calls may run concurrently.
/// </summary>
internal sealed class SqlStatusStore : IStatusStore
{
    private const string Columns = "status_id, poster, request_id, kind, body, media_id, posted_at_ms, expires_at_ms";

    private readonly SqlTables _tables;
    // The most recently used statuses, so that pushing one status to its many contacts on this node
    // reads the table once.
    private readonly LruCache<PostedStatus> _cache;

    private SqlStatusStore(Func<DbConnection> open, bool postgres, int cacheCapacity)
    {
        _tables = new SqlTables(open,
        [
            "CREATE TABLE IF NOT EXISTS akkachat_statuses (status_id TEXT PRIMARY KEY, poster TEXT NOT NULL, request_id TEXT NOT NULL, " +
            $"kind BIGINT NOT NULL, body {(postgres ? "BYTEA" : "BLOB")} NOT NULL, media_id TEXT NOT NULL, " +
            "posted_at_ms BIGINT NOT NULL, expires_at_ms BIGINT NOT NULL, UNIQUE (poster, request_id))",
            "CREATE INDEX IF NOT EXISTS akkachat_statuses_by_expiry ON akkachat_statuses (expires_at_ms)",
        ]);
        _cache = new LruCache<PostedStatus>(cacheCapacity, s => s.StatusId);
    }

    public static SqlStatusStore Sqlite(string file, int cacheCapacity) =>
        new(() => new SqliteConnection($"Data Source={file};Pooling=True"), postgres: false, cacheCapacity);

    public static SqlStatusStore PostgreSql(string connectionString, int cacheCapacity) =>
        new(() => new NpgsqlConnection(connectionString), postgres: true, cacheCapacity);

    public async Task<PostedStatus> SaveAsync(PostedStatus status, CancellationToken cancel = default)
    {
        await using var connection = await _tables.OpenAsync(cancel).ConfigureAwait(false);
        await using (var insert = connection.CreateCommand())
        {
            insert.CommandText =
                $"INSERT INTO akkachat_statuses ({Columns}) VALUES (@id, @poster, @request, @kind, @body, @media, @posted, @expires) " +
                "ON CONFLICT (poster, request_id) DO NOTHING";
            AddParameter(insert, "@id", status.StatusId);
            AddParameter(insert, "@poster", status.Poster);
            AddParameter(insert, "@request", status.RequestId);
            AddParameter(insert, "@kind", (long)status.Kind);
            AddParameter(insert, "@body", status.Body.ToByteArray());
            AddParameter(insert, "@media", status.MediaId);
            AddParameter(insert, "@posted", status.PostedAtMs);
            AddParameter(insert, "@expires", status.ExpiresAtMs);
            if (await insert.ExecuteNonQueryAsync(cancel).ConfigureAwait(false) == 1)
            {
                _cache.Put(status);
                return status;
            }
        }

        // Posted before under this request id: that status is the answer.
        await using var select = connection.CreateCommand();
        select.CommandText = $"SELECT {Columns} FROM akkachat_statuses WHERE poster = @poster AND request_id = @request";
        AddParameter(select, "@poster", status.Poster);
        AddParameter(select, "@request", status.RequestId);
        return await ReadOneAsync(select, cancel).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"status {status.Poster}/{status.RequestId} was neither inserted nor found");
    }

    public bool TryGetCached(string statusId, out PostedStatus status) => _cache.TryGet(statusId, out status);

    public async Task<PostedStatus?> FindAsync(string statusId, CancellationToken cancel = default)
    {
        if (_cache.TryGet(statusId, out var cached))
        {
            return cached;
        }

        await using var connection = await _tables.OpenAsync(cancel).ConfigureAwait(false);
        await using var select = connection.CreateCommand();
        select.CommandText = $"SELECT {Columns} FROM akkachat_statuses WHERE status_id = @id";
        AddParameter(select, "@id", statusId);
        return await ReadOneAsync(select, cancel).ConfigureAwait(false);
    }

    public async Task<int> DeleteExpiredAsync(long nowMs, CancellationToken cancel = default)
    {
        _cache.RemoveWhere(s => s.ExpiresAtMs <= nowMs);
        await using var connection = await _tables.OpenAsync(cancel).ConfigureAwait(false);
        await using var delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM akkachat_statuses WHERE expires_at_ms <= @now";
        AddParameter(delete, "@now", nowMs);
        return await delete.ExecuteNonQueryAsync(cancel).ConfigureAwait(false);
    }

    private async Task<PostedStatus?> ReadOneAsync(DbCommand select, CancellationToken cancel)
    {
        await using var reader = await select.ExecuteReaderAsync(cancel).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancel).ConfigureAwait(false))
        {
            return null;
        }

        var status = new PostedStatus(
            reader.GetString(0), reader.GetString(1), reader.GetString(2), (uint)reader.GetInt64(3),
            ByteString.CopyFrom((byte[])reader.GetValue(4)), reader.GetString(5), reader.GetInt64(6), reader.GetInt64(7));
        _cache.Put(status);
        return status;
    }

}
