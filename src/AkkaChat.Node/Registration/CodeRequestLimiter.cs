using AkkaChat.Node.Connections;

namespace AkkaChat.Node.Registration;

/// <summary>
/// How often AUTH_REQUEST_CODE may be asked for (<c>akkachat.registration</c>): a token bucket per
/// phone number and one per source address, each holding <c>Burst</c> requests and refilled by one
/// every <c>Interval</c>.
/// </summary>
public sealed record CodeRequestLimits(int PerPhoneBurst, TimeSpan PerPhoneInterval, int PerAddressBurst, TimeSpan PerAddressInterval);

/// <summary>
/// The node-wide limiter of AUTH_REQUEST_CODE. Every request makes the node send an SMS (which costs
/// money: the toll-fraud pattern) and opens a fresh round of guesses, so both are bounded: per phone
/// (one number cannot be flooded with codes, nor guessed at without end) and per source address
/// (one script cannot walk through numbers). Each node limits on its own; a cluster of N nodes
/// allows N times the rate to a client that spreads its requests.
/// <para>Called from connection actors concurrently, so it takes a lock; code requests are rare
/// next to messages. Buckets that refilled completely carry no information and are dropped when
/// the table grows, so memory stays bounded by the keys active within one refill time.</para>
/// </summary>
public sealed class CodeRequestLimiter(CodeRequestLimits limits, Func<long> nowMs)
{
    /// <summary>Buckets kept before full ones are swept out.</summary>
    private const int SweepAbove = 100_000;

    private readonly object _gate = new();
    private readonly Dictionary<string, TokenBucket> _phones = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TokenBucket> _addresses = new(StringComparer.Ordinal);

    public CodeRequestLimiter(CodeRequestLimits limits)
        : this(limits, static () => Environment.TickCount64)
    {
    }

    /// <summary>
    /// Takes one request for <paramref name="phone"/> from <paramref name="address"/>; false, when
    /// either budget is spent (the address's token is then still taken: a refused request counts).
    /// </summary>
    public bool TryTake(string phone, string address)
    {
        var now = nowMs();
        lock (_gate)
        {
            var byAddress = Take(_addresses, address, now, limits.PerAddressBurst, limits.PerAddressInterval);
            return Take(_phones, phone, now, limits.PerPhoneBurst, limits.PerPhoneInterval) && byAddress;
        }
    }

    private static bool Take(Dictionary<string, TokenBucket> buckets, string key, long now, int burst, TimeSpan interval)
    {
        var perSecond = 1.0 / interval.TotalSeconds;
        if (buckets.Count > SweepAbove)
        {
            Sweep(buckets, now, burst, interval);
        }

        buckets.TryGetValue(key, out var bucket);
        var taken = bucket.TryTake(now, perSecond, burst);
        buckets[key] = bucket;
        return taken;
    }

    private static void Sweep(Dictionary<string, TokenBucket> buckets, long now, int burst, TimeSpan interval)
    {
        var refillMs = (long)(interval.TotalMilliseconds * burst);
        foreach (var (key, bucket) in buckets)
        {
            if (now - bucket.LastTakenMs >= refillMs)
            {
                buckets.Remove(key);
            }
        }
    }
}
