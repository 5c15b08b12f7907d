using System.Text.Json;

namespace AkkaChat.Node.Web.Media;

/// <summary>
/// Media as files under one directory (akkachat.storage.data-dir/media), for a single node:
/// <c>ID.bin</c> holds the bytes, <c>ID.meta</c> (JSON) the type, owner and expiry. An upload is
/// written to <c>ID.part</c> and renamed; the meta file is written last, so a medium is found only
/// when complete. Ids are checked by <see cref="MediaIds"/> before they become file names.
/// </summary>
public sealed class FileMediaStore : IMediaStore
{
    /// <summary>A partial upload older than this was cut off by a crash and is deleted by the sweeper.</summary>
    private static readonly TimeSpan StalePartAge = TimeSpan.FromHours(1);

    private readonly string _directory;
    private readonly int _bufferBytes;

    public FileMediaStore(string directory, int bufferBytes)
    {
        _directory = directory;
        _bufferBytes = bufferBytes;
    }

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_directory);
        return Task.CompletedTask;
    }

    public async Task<MediaInfo> SaveAsync(NewMedia media, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        var part = PathOf(media.Id, "part");
        long length;
        try
        {
            await using (var file = new FileStream(part, FileMode.CreateNew, FileAccess.Write, FileShare.None, _bufferBytes, useAsync: true))
            {
                length = await MediaCopy.CopyLimitedAsync(content, file, maxBytes, _bufferBytes, cancellationToken);
                await file.FlushAsync(cancellationToken);
            }

            File.Move(part, PathOf(media.Id, "bin"));
        }
        catch
        {
            File.Delete(part);
            throw;
        }

        var info = new MediaInfo(media.Id, media.Owner, media.ContentType, length, media.CreatedAtMs, media.ExpiresAtMs);
        var meta = PathOf(media.Id, "meta");
        await File.WriteAllBytesAsync(meta + ".tmp", JsonSerializer.SerializeToUtf8Bytes(info), cancellationToken);
        File.Move(meta + ".tmp", meta);
        return info;
    }

    public async Task<MediaInfo?> FindAsync(string id, long nowMs, CancellationToken cancellationToken)
    {
        if (!MediaIds.IsValid(id))
        {
            return null;
        }

        var info = await ReadMetaAsync(PathOf(id, "meta"), cancellationToken);
        return info is not null && info.ExpiresAtMs > nowMs && File.Exists(PathOf(id, "bin")) ? info : null;
    }

    public Task<Stream> OpenReadAsync(MediaInfo media, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new FileStream(PathOf(media.Id, "bin"), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, _bufferBytes, useAsync: true));

    public async Task<int> DeleteExpiredAsync(long nowMs, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_directory))
        {
            return 0;
        }

        var deleted = 0;
        foreach (var meta in Directory.EnumerateFiles(_directory, "*.meta"))
        {
            var info = await ReadMetaAsync(meta, cancellationToken);
            if (info is null || info.ExpiresAtMs > nowMs)
            {
                continue;
            }

            File.Delete(PathOf(info.Id, "bin"));
            File.Delete(meta);
            deleted++;
        }

        var stale = DateTime.UtcNow - StalePartAge;
        foreach (var part in Directory.EnumerateFiles(_directory, "*.part").Where(p => File.GetLastWriteTimeUtc(p) < stale))
        {
            File.Delete(part);
        }

        return deleted;
    }

    private string PathOf(string id, string extension) =>
        MediaIds.IsValid(id) ? Path.Combine(_directory, $"{id}.{extension}") : throw new ArgumentException($"'{id}' is not a media id", nameof(id));

    private static async Task<MediaInfo?> ReadMetaAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var file = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync<MediaInfo>(file, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or JsonException)
        {
            return null; // deleted meanwhile, or cut off by a crash: as good as unknown
        }
    }
}
