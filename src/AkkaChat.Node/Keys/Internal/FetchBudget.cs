using AkkaChat.Node.Connections;

namespace AkkaChat.Node.Keys.Internal;

/// <summary>
/// The KEYS_FETCH budget of each requester on this node (a user has one session, so one node
/// serves all of a requester's fetches): a token bucket per requester, refilled at
/// <c>fetch-per-minute</c> up to <c>fetch-burst</c>. Draining another user's one-time prekeys is
/// a known attack; this bounds how fast one account can do it. Bounded: once it tracks
/// <see cref="MaxTracked"/> requesters, those whose bucket has refilled completely are forgotten
/// (forgetting them loses nothing: a new bucket starts full).
/// </summary>
internal sealed class FetchBudget(double perSecond, int burst)
{
    public const int MaxTracked = 50_000;

    private readonly Dictionary<string, (TokenBucket Bucket, long LastMs)> _buckets = new(StringComparer.Ordinal);
    private readonly object _lock = new();

    public bool TryTake(string requester, long nowMs)
    {
        lock (_lock)
        {
            if (_buckets.Count >= MaxTracked)
            {
                var fullAfterMs = (long)(burst * 1000 / perSecond);
                foreach (var (key, entry) in _buckets.ToArray())
                {
                    if (nowMs - entry.LastMs >= fullAfterMs)
                    {
                        _buckets.Remove(key);
                    }
                }
            }

            _buckets.TryGetValue(requester, out var current);
            var bucket = current.Bucket;
            var taken = bucket.TryTake(nowMs, perSecond, burst);
            _buckets[requester] = (bucket, nowMs);
            return taken;
        }
    }
}
