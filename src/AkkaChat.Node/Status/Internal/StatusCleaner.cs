using Akka.Actor;
using Akka.Event;

namespace AkkaChat.Node.Statuses.Internal;

/// <summary>
/// One per node: every <see cref="StatusSettings.CleanupInterval"/> deletes expired statuses from
/// the table (the server is a relay, not an archive). Any node may delete any expired row.
/// </summary>
internal sealed class StatusCleaner : ReceiveActor, IWithTimers
{
    public StatusCleaner(IStatusStore store, StatusSettings settings, TimeProvider clock)
    {
        var log = Context.GetLogger();
        ReceiveAsync<Tick>(async _ =>
        {
            try
            {
                var deleted = await store.DeleteExpiredAsync(clock.GetUtcNow().ToUnixTimeMilliseconds());
                if (deleted > 0)
                {
                    log.Info("Deleted {0} expired statuses", deleted);
                }
            }
            catch (Exception e)
            {
                log.Warning(e, "Deleting expired statuses failed; trying again in {0}", settings.CleanupInterval);
            }
        });
        Timers!.StartPeriodicTimer(Tick.Instance, Tick.Instance, settings.CleanupInterval);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IStatusStore store, StatusSettings settings, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new StatusCleaner(store, settings, clock));

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }
}
