using System.Globalization;

namespace AkkaChat.Bench.Scenarios;

/// <summary>
/// Whether a run's figures show that the node (or the load generator) did not sustain the offered
/// rate. Any one of these makes the run SATURATED:
/// <list type="bullet">
/// <item>an offered rate was given and the delivered rate in the send window is below
///   <see cref="MinDeliveredShare"/> of it. Messages sent in the last p50 of the window are still on
///   their way when it ends even on a node that keeps up, so the deliveries are divided by the
///   window less the p50 (at least half the window);</item>
/// <item>the send-to-deliver p50 is above the bound (<c>--saturation-p50</c>, default 100 ms):
///   a median message waited in a queue;</item>
/// <item>an offered rate was given and the backlog (sent, not yet delivered) at the end of the send
///   window is larger than at the window's middle and above the larger of 100 messages, a quarter
///   second of the offered rate, and twice the p50 of it (what is normally in flight): the queue was
///   still growing when sending stopped.</item>
/// </list>
/// </summary>
public static class SaturationRule
{
    public const double MinDeliveredShare = 0.95;

    public static readonly TimeSpan DefaultP50Bound = TimeSpan.FromMilliseconds(100);

    /// <param name="deliveredInWindow">Messages delivered within the send window.</param>
    /// <param name="windowSeconds">The send window.</param>
    public static List<string> Judge(double? offeredPerSecond, long deliveredInWindow, double windowSeconds, double? p50Ms, TimeSpan p50Bound, (long Middle, long End)? backlog)
    {
        var reasons = new List<string>();
        var c = CultureInfo.InvariantCulture;
        var p50Seconds = (p50Ms ?? 0) / 1000;
        var effectiveWindow = Math.Max(windowSeconds - p50Seconds, windowSeconds / 2);
        var delivered = effectiveWindow > 0 ? deliveredInWindow / effectiveWindow : 0;
        if (offeredPerSecond is { } offered && delivered < MinDeliveredShare * offered)
        {
            reasons.Add(string.Format(c, "delivered {0:N0}/s of {1:N0}/s offered ({2:0.#}%, below {3:0}%)",
                delivered, offered, 100 * delivered / offered, 100 * MinDeliveredShare));
        }

        if (p50Ms is { } p50 && p50 > p50Bound.TotalMilliseconds)
        {
            reasons.Add(string.Format(c, "send-to-deliver p50 {0:0.#} ms is above the {1:0.#} ms bound", p50, p50Bound.TotalMilliseconds));
        }

        if (offeredPerSecond is { } rate && backlog is { } b && b.End > Math.Max(100, Math.Max(rate / 4, 2 * rate * p50Seconds)) && b.End > b.Middle && b.Middle >= 0)
        {
            reasons.Add(string.Format(c, "the backlog grew from {0:N0} to {1:N0} messages during the send window", b.Middle, b.End));
        }

        return reasons;
    }

    /// <summary>
    /// soak: the sender loop is paced at <paramref name="nominalRate"/> iterations per second; an iteration
    /// whose random sender is offline (or is its own recipient) sends nothing, and a message to an offline
    /// recipient waits for its next login by design. So the rule is applied to the messages sent to online
    /// recipients: offered = nominal rate x their share of the loop's iterations (a loop that fell behind
    /// the clock sent fewer, so it shows as delivered below offered), delivered = their DELIVERs within the
    /// send window, backlog = those sent and not yet delivered at the window's middle and end.
    /// </summary>
    public static List<string> JudgeSoak(double nominalRate, long iterations, long onlineSends, long onlineDeliveredInWindow, double windowSeconds, double? p50Ms, TimeSpan p50Bound, (long Middle, long End)? onlineBacklog)
    {
        var offered = iterations > 0 ? nominalRate * onlineSends / iterations : nominalRate;
        return Judge(offered, onlineDeliveredInWindow, windowSeconds, p50Ms, p50Bound, onlineBacklog);
    }
}
