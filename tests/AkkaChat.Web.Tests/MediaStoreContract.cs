using System.Security.Cryptography;
using AkkaChat.Node.Web.Media;
using AkkaChat.TestKit;

namespace AkkaChat.Web.Tests;

/// <summary>
/// The rules of <see cref="IMediaStore"/>, run against every implementation (the derived classes):
/// as MongooseIM runs one suite against each storage backend.
/// </summary>
public abstract class MediaStoreContract
{
    /// <summary>Small chunks, so a few KB of media span several of them.</summary>
    protected const int ChunkBytes = 4096;

    protected abstract IMediaStore Store { get; }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static NewMedia NewMedia(long expiresInMs = 60_000, string type = "image/png") =>
        new(MediaIds.New(), TestPhones.New(), type, Now, Now + expiresInMs);

    [Fact]
    public async Task Saved_media_are_found_with_their_type_owner_length_and_expiry()
    {
        var media = NewMedia(type: "audio/webm;codecs=opus");
        var bytes = RandomNumberGenerator.GetBytes(3 * ChunkBytes + 123);
        var saved = await Store.SaveAsync(media, new MemoryStream(bytes), 1 << 20, default);

        var found = await Store.FindAsync(media.Id, Now, default);
        Assert.Equal(saved, found);
        Assert.Equal((media.Owner, "audio/webm;codecs=opus", (long)bytes.Length, media.ExpiresAtMs), (found!.Owner, found.ContentType, found.Length, found.ExpiresAtMs));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(ChunkBytes)]
    [InlineData(5 * ChunkBytes + 17)]
    public async Task Stored_bytes_read_back_unchanged(int length)
    {
        var media = NewMedia();
        var bytes = RandomNumberGenerator.GetBytes(length);
        var saved = await Store.SaveAsync(media, new MemoryStream(bytes), 1 << 20, default);

        await using var stream = await Store.OpenReadAsync(saved, default);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());
    }

    [Fact]
    public async Task A_read_from_a_seeked_offset_starts_there_across_chunk_borders()
    {
        var bytes = RandomNumberGenerator.GetBytes(4 * ChunkBytes);
        var saved = await Store.SaveAsync(NewMedia(), new MemoryStream(bytes), 1 << 20, default);

        await using var stream = await Store.OpenReadAsync(saved, default);
        Assert.True(stream.CanSeek);
        Assert.Equal(bytes.Length, stream.Length);
        stream.Seek(ChunkBytes + 100, SeekOrigin.Begin);
        var part = new byte[2 * ChunkBytes];
        var read = await MediaReads.FillAsync(stream, part);
        Assert.Equal(part.Length, read);
        Assert.Equal(bytes.AsSpan(ChunkBytes + 100, part.Length).ToArray(), part);
    }

    [Fact]
    public async Task An_upload_over_the_limit_fails_and_leaves_nothing()
    {
        var media = NewMedia();
        await Assert.ThrowsAsync<MediaTooLargeException>(() => Store.SaveAsync(media, new MemoryStream(new byte[3 * ChunkBytes]), 2 * ChunkBytes, default));
        Assert.Null(await Store.FindAsync(media.Id, Now, default));
    }

    [Fact]
    public async Task An_upload_whose_stream_breaks_leaves_nothing()
    {
        var media = NewMedia();
        await Assert.ThrowsAsync<IOException>(() => Store.SaveAsync(media, new BreakingStream(2 * ChunkBytes + 5), 1 << 20, default));
        Assert.Null(await Store.FindAsync(media.Id, Now, default));
    }

    [Fact]
    public async Task Unknown_and_malformed_ids_are_not_found()
    {
        Assert.Null(await Store.FindAsync(MediaIds.New(), Now, default));
        Assert.Null(await Store.FindAsync("../../etc/passwd", Now, default));
        Assert.Null(await Store.FindAsync("", Now, default));
    }

    [Fact]
    public async Task An_expired_medium_is_not_found_and_the_sweep_deletes_it_but_not_a_live_one()
    {
        var expiring = NewMedia(expiresInMs: 1_000);
        var live = NewMedia(expiresInMs: 3_600_000);
        await Store.SaveAsync(expiring, new MemoryStream([1, 2, 3]), 1 << 20, default);
        await Store.SaveAsync(live, new MemoryStream([4, 5, 6]), 1 << 20, default);

        var later = expiring.ExpiresAtMs + 1;
        Assert.Null(await Store.FindAsync(expiring.Id, later, default));
        Assert.True(await Store.DeleteExpiredAsync(later, default) >= 1);
        Assert.Null(await Store.FindAsync(expiring.Id, expiring.CreatedAtMs, default)); // gone, not merely hidden
        Assert.NotNull(await Store.FindAsync(live.Id, later, default));
    }

    /// <summary>A request body whose client vanishes after <c>failAfter</c> bytes.</summary>
    private sealed class BreakingStream(int failAfter) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= failAfter)
            {
                throw new IOException("client disconnected");
            }

            var n = Math.Min(count, failAfter - _position);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

internal static class MediaReads
{
    public static async Task<int> FillAsync(Stream stream, byte[] buffer)
    {
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(filled))) > 0)
        {
            filled += read;
        }

        return filled;
    }
}

public sealed class FileMediaStoreTests : MediaStoreContract, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("akkachat-media-").FullName;
    private readonly FileMediaStore _store;

    public FileMediaStoreTests()
    {
        _store = new FileMediaStore(Path.Combine(_directory, "media"), ChunkBytes);
        _store.InitializeAsync(default).GetAwaiter().GetResult();
    }

    protected override IMediaStore Store => _store;

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

/// <summary>A fresh database for the PostgreSQL store's run of the contract.</summary>
public sealed class PostgresMediaDatabase : IAsyncLifetime
{
    public PostgresDatabase Database { get; private set; } = null!;

    public PostgresMediaStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await PostgresDatabase.CreateAsync();
        Store = new PostgresMediaStore(Database.ConnectionString, 4096);
        await Store.InitializeAsync(default);
        await Store.InitializeAsync(default); // a second node starting: idempotent
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await Database.DisposeAsync();
    }
}

[Trait("Category", "Slow")]
public sealed class PostgresMediaStoreTests(PostgresMediaDatabase database) : MediaStoreContract, IClassFixture<PostgresMediaDatabase>
{
    protected override IMediaStore Store => database.Store;
}
