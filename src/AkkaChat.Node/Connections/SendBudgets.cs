using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Akka.Actor;

namespace AkkaChat.Node.Connections;

/// <summary>
/// The SEND rate budget of each user (<c>akkachat.rate-limit</c>), shared by every connection of
/// the node: a user's new connection continues the bucket of the last one, so reconnecting buys
/// no new burst. One bucket per phone number, locked on its own (no lock across users).
/// <para>The budget is per node: a user who moves to another node of a cluster starts there with
/// that node's bucket for them. Buckets that refilled completely carry no information and are
/// dropped when the table grows, so memory is bounded by the users who sent within one refill
/// time.</para>
/// </summary>
public sealed class SendBudgets : IExtension
{
    /// <summary>Buckets kept before full ones are swept out.</summary>
    private const int SweepAbove = 100_000;

    private readonly ConcurrentDictionary<string, StrongBox<TokenBucket>> _buckets = new(StringComparer.Ordinal);

    public static SendBudgets Get(ActorSystem system) => system.WithExtension<SendBudgets, SendBudgetsProvider>();

    /// <summary>Takes one SEND from <paramref name="phone"/>'s budget; false, and nothing taken, when it is spent.</summary>
    public bool TryTake(string phone, long nowMs, double perSecond, int burst)
    {
        if (_buckets.Count > SweepAbove)
        {
            Sweep(nowMs, (long)(burst / perSecond * 1000));
        }

        var box = _buckets.GetOrAdd(phone, static _ => new StrongBox<TokenBucket>());
        lock (box)
        {
            return box.Value.TryTake(nowMs, perSecond, burst);
        }
    }

    private void Sweep(long nowMs, long refillMs)
    {
        foreach (var (phone, box) in _buckets)
        {
            if (nowMs - box.Value.LastTakenMs >= refillMs)
            {
                _buckets.TryRemove(phone, out _);
            }
        }
    }
}

public sealed class SendBudgetsProvider : ExtensionIdProvider<SendBudgets>
{
    public override SendBudgets CreateExtension(ExtendedActorSystem system) => new();
}
