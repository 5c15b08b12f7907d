using Google.Protobuf;

namespace AkkaChat.Node.Statuses;

/// <summary>One posted status, stored once whatever the number of contacts it goes to.</summary>
public sealed record PostedStatus(string StatusId, string Poster, string RequestId, uint Kind, ByteString Body, string MediaId, long PostedAtMs, long ExpiresAtMs);

/// <summary>
/// The statuses posted in the last <c>akkachat.status.ttl</c>, bodies included, in a table of the
/// journal's database; contacts' queues hold only the status id. (poster, request_id) is an
/// idempotency key: posting it again returns the status first stored.
/// </summary>
public interface IStatusStore
{
    /// <summary>Stores <paramref name="status"/>, or returns the one stored earlier under the same (poster, request id); durable when the task completes.</summary>
    Task<PostedStatus> SaveAsync(PostedStatus status, CancellationToken cancel = default);

    /// <summary>A status this node holds in memory, without I/O.</summary>
    bool TryGetCached(string statusId, out PostedStatus status);

    /// <summary>The status <paramref name="statusId"/>, or null when it is gone (expired and deleted).</summary>
    Task<PostedStatus?> FindAsync(string statusId, CancellationToken cancel = default);

    /// <summary>Deletes every status expired at <paramref name="nowMs"/>; answers how many.</summary>
    Task<int> DeleteExpiredAsync(long nowMs, CancellationToken cancel = default);
}
