namespace AkkaChat.Node.Connections;

/// <summary>
/// A token bucket over a monotonic millisecond clock: holds up to <c>burst</c> tokens, refilled at
/// <c>perSecond</c>. Rate and size are passed on every take so hot-reloaded limits apply at once.
/// </summary>
public struct TokenBucket
{
    private double _tokens;
    private long _lastMs;
    private bool _started;

    /// <summary>When a token was last asked for (monotonic milliseconds).</summary>
    public readonly long LastTakenMs => _lastMs;

    public bool TryTake(long nowMs, double perSecond, int burst)
    {
        if (!_started)
        {
            _started = true;
            _tokens = burst;
            _lastMs = nowMs;
        }

        _tokens = Math.Min(burst, _tokens + (nowMs - _lastMs) * perSecond / 1000.0);
        _lastMs = nowMs;
        if (_tokens < 1)
        {
            return false;
        }

        _tokens -= 1;
        return true;
    }
}
