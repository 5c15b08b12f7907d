namespace AkkaChat.Client.Internal;

/// <summary>Delays between reconnect attempts: exponential with "equal jitter".</summary>
internal static class Backoff
{
    /// <summary>
    /// The delay before attempt <paramref name="attempt"/> (0 for the first): the ceiling is
    /// <paramref name="initial"/> doubled per attempt, capped at <paramref name="max"/>, and the delay
    /// is drawn uniformly between half the ceiling and the ceiling.
    /// </summary>
    public static TimeSpan Delay(int attempt, TimeSpan initial, TimeSpan max, Random random)
    {
        var ceiling = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt, 0, 30)));
        return TimeSpan.FromMilliseconds(ceiling / 2 + random.NextDouble() * ceiling / 2);
    }
}
