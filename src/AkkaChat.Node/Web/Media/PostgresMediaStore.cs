using System.Buffers;
using Npgsql;
using NpgsqlTypes;

namespace AkkaChat.Node.Web.Media;

/// <summary>
/// Media as chunked rows in the cluster's shared PostgreSQL database, so any node serves any medium:
/// <c>akkachat_media</c> holds one row per medium, <c>akkachat_media_chunks</c> its bytes in chunks
/// of akkachat.media.chunk-bytes. An upload is one transaction, so a medium is visible only once
/// complete and a failed upload leaves nothing. Reads fetch one chunk at a time.
/// </summary>
public sealed class PostgresMediaStore : IMediaStore, IAsyncDisposable
{
    /// <summary>Serializes the CREATE TABLE IF NOT EXISTS of nodes starting at once (it can race in PostgreSQL).</summary>
    private const long SchemaLockKey = 4780_0001;

    private readonly NpgsqlDataSource _dataSource;
    private readonly int _chunkBytes;

    public PostgresMediaStore(string connectionString, int chunkBytes)
    {
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _chunkBytes = chunkBytes;
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(
            """
            SELECT pg_advisory_xact_lock(@key);
            CREATE TABLE IF NOT EXISTS akkachat_media (
              id text PRIMARY KEY,
              owner text NOT NULL,
              content_type text NOT NULL,
              length bigint NOT NULL,
              created_at_ms bigint NOT NULL,
              expires_at_ms bigint NOT NULL);
            CREATE INDEX IF NOT EXISTS akkachat_media_expires ON akkachat_media (expires_at_ms);
            CREATE TABLE IF NOT EXISTS akkachat_media_chunks (
              media_id text NOT NULL REFERENCES akkachat_media (id) ON DELETE CASCADE,
              index integer NOT NULL,
              data bytea NOT NULL,
              PRIMARY KEY (media_id, index));
            """, connection, transaction))
        {
            command.Parameters.AddWithValue("key", SchemaLockKey);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<MediaInfo> SaveAsync(NewMedia media, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var header = new NpgsqlCommand(
            "INSERT INTO akkachat_media (id, owner, content_type, length, created_at_ms, expires_at_ms) VALUES (@id, @owner, @type, 0, @created, @expires)",
            connection, transaction))
        {
            header.Parameters.AddWithValue("id", media.Id);
            header.Parameters.AddWithValue("owner", media.Owner);
            header.Parameters.AddWithValue("type", media.ContentType);
            header.Parameters.AddWithValue("created", media.CreatedAtMs);
            header.Parameters.AddWithValue("expires", media.ExpiresAtMs);
            await header.ExecuteNonQueryAsync(cancellationToken);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(_chunkBytes);
        long length = 0;
        try
        {
            await using var insert = new NpgsqlCommand("INSERT INTO akkachat_media_chunks (media_id, index, data) VALUES (@id, @index, @data)", connection, transaction);
            insert.Parameters.AddWithValue("id", media.Id);
            var index = insert.Parameters.Add("index", NpgsqlDbType.Integer);
            var data = insert.Parameters.Add("data", NpgsqlDbType.Bytea);
            for (var i = 0; ; i++)
            {
                var filled = await MediaCopy.FillAsync(content, buffer.AsMemory(0, _chunkBytes), cancellationToken);
                if (filled == 0)
                {
                    break;
                }

                length += filled;
                if (length > maxBytes)
                {
                    throw new MediaTooLargeException(maxBytes); // the transaction rolls back on dispose
                }

                index.Value = i;
                data.Value = new ArraySegment<byte>(buffer, 0, filled);
                await insert.ExecuteNonQueryAsync(cancellationToken);
                if (filled < _chunkBytes)
                {
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        await using (var complete = new NpgsqlCommand("UPDATE akkachat_media SET length = @length WHERE id = @id", connection, transaction))
        {
            complete.Parameters.AddWithValue("id", media.Id);
            complete.Parameters.AddWithValue("length", length);
            await complete.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new MediaInfo(media.Id, media.Owner, media.ContentType, length, media.CreatedAtMs, media.ExpiresAtMs);
    }

    public async Task<MediaInfo?> FindAsync(string id, long nowMs, CancellationToken cancellationToken)
    {
        if (!MediaIds.IsValid(id))
        {
            return null;
        }

        await using var command = _dataSource.CreateCommand(
            "SELECT owner, content_type, length, created_at_ms, expires_at_ms FROM akkachat_media WHERE id = @id AND expires_at_ms > @now");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("now", nowMs);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new MediaInfo(id, reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4))
            : null;
    }

    public Task<Stream> OpenReadAsync(MediaInfo media, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new ChunkedMediaStream(_dataSource, media.Id, media.Length, _chunkBytes));

    public async Task<int> DeleteExpiredAsync(long nowMs, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("DELETE FROM akkachat_media WHERE expires_at_ms <= @now");
        command.Parameters.AddWithValue("now", nowMs);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
