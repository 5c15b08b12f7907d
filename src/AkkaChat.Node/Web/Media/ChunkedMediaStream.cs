using Npgsql;

namespace AkkaChat.Node.Web.Media;

/// <summary>
/// A read-only, seekable stream over a medium's chunk rows: it holds one chunk at a time and fetches
/// the chunk that covers the position on demand, so a Range request reads only the chunks it needs.
/// </summary>
internal sealed class ChunkedMediaStream : Stream
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _id;
    private readonly long _length;
    private readonly int _chunkBytes;
    private byte[]? _chunk;
    private int _chunkIndex = -1;
    private long _position;

    public ChunkedMediaStream(NpgsqlDataSource dataSource, string id, long length, int chunkBytes)
    {
        _dataSource = dataSource;
        _id = id;
        _length = length;
        _chunkBytes = chunkBytes;
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= _length || buffer.IsEmpty)
        {
            return 0;
        }

        var index = (int)(_position / _chunkBytes);
        if (index != _chunkIndex)
        {
            _chunk = await FetchChunkAsync(index, cancellationToken);
            _chunkIndex = index;
        }

        var offset = (int)(_position - (long)index * _chunkBytes);
        var count = Math.Min(buffer.Length, _chunk!.Length - offset);
        if (count <= 0)
        {
            throw new IOException($"medium {_id}: chunk {index} is shorter than its length says");
        }

        _chunk.AsMemory(offset, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => _length + offset,
    };

    private async Task<byte[]> FetchChunkAsync(int index, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT data FROM akkachat_media_chunks WHERE media_id = @id AND index = @index");
        command.Parameters.AddWithValue("id", _id);
        command.Parameters.AddWithValue("index", index);
        return await command.ExecuteScalarAsync(cancellationToken) as byte[]
            ?? throw new IOException($"medium {_id}: chunk {index} is missing (expired and swept while read?)");
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
