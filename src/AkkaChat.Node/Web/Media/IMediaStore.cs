namespace AkkaChat.Node.Web.Media;

/// <summary>A stored medium: opaque bytes (clients encrypt and compress them), its type and its expiry.</summary>
public sealed record MediaInfo(string Id, string Owner, string ContentType, long Length, long CreatedAtMs, long ExpiresAtMs);

/// <summary>What an upload declares before its bytes are read.</summary>
public sealed record NewMedia(string Id, string Owner, string ContentType, long CreatedAtMs, long ExpiresAtMs);

/// <summary>
/// Where media live. One contract, one test suite (MediaStoreContract) run against every
/// implementation: <see cref="FileMediaStore"/> (a single node) and <see cref="PostgresMediaStore"/>
/// (a cluster: any node serves any medium).
/// <para>Rules: content is copied in chunks and never held whole in memory; a medium becomes
/// visible to <see cref="FindAsync"/> only once all of it is stored, and an upload that fails or is
/// too large leaves nothing behind; an expired medium is not found even before the sweeper deletes it.</para>
/// </summary>
public interface IMediaStore
{
    /// <summary>Creates what the store needs (a directory, tables). Safe to call from every node at once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="content"/> read to its end. Throws <see cref="MediaTooLargeException"/>
    /// once more than <paramref name="maxBytes"/> arrive (nothing is kept).
    /// </summary>
    Task<MediaInfo> SaveAsync(NewMedia media, Stream content, long maxBytes, CancellationToken cancellationToken);

    /// <summary>The medium, or null when it is unknown or expired at <paramref name="nowMs"/>.</summary>
    Task<MediaInfo?> FindAsync(string id, long nowMs, CancellationToken cancellationToken);

    /// <summary>A seekable stream of the medium's bytes, for ranges; its Length is <see cref="MediaInfo.Length"/>.</summary>
    Task<Stream> OpenReadAsync(MediaInfo media, CancellationToken cancellationToken);

    /// <summary>Deletes every medium expired at <paramref name="nowMs"/>; returns how many.</summary>
    Task<int> DeleteExpiredAsync(long nowMs, CancellationToken cancellationToken);
}

/// <summary>An upload went past akkachat.media.max-bytes.</summary>
public sealed class MediaTooLargeException(long maxBytes) : Exception($"media are at most {maxBytes} bytes")
{
    public long MaxBytes { get; } = maxBytes;
}
