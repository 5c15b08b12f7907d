using Akka.Actor;
using Akka.Event;
using AkkaChat.Node.Contracts;

namespace AkkaChat.Node.UserDirectory.Internal;

/// <summary>
/// Runs once at the node's start: finds the users whose journal was written before the user
/// directory existed (a journal or snapshot without a directory row) and asks each one's user actor
/// to write its row (<see cref="BackfillDirectoryEntry"/>), at most
/// <c>akkachat.directory.backfill-per-second</c> of them a second, since each recovers a journal.
/// Then it stops. Every node of a cluster runs it; a row written twice is the same row.
/// </summary>
internal sealed class DirectoryBackfill : ReceiveActor, IWithTimers
{
    private readonly Queue<string> _pending = new();

    public DirectoryBackfill(IUserDirectory directory, IActorRef users, int perSecond)
    {
        var log = Context.GetLogger();
        var total = 0;
        ReceiveAsync<Start>(async _ =>
        {
            try
            {
                foreach (var phone in await directory.UnlistedUserJournalsAsync())
                {
                    _pending.Enqueue(phone);
                }
            }
            catch (Exception e)
            {
                log.Warning(e, "User directory: looking for journals written before the directory failed; the next start tries again");
                Context.Stop(Self);
                return;
            }

            total = _pending.Count;
            if (total == 0)
            {
                Context.Stop(Self);
                return;
            }

            log.Info("User directory: {0} users have a journal but no directory row (written before the directory existed); writing their rows, {1} a second", total, perSecond);
            Self.Tell(Tick.Instance);
        });
        Receive<Tick>(_ =>
        {
            for (var i = 0; i < perSecond && _pending.TryDequeue(out var phone); i++)
            {
                users.Tell(new BackfillDirectoryEntry { Phone = phone }, ActorRefs.NoSender);
            }

            if (_pending.Count == 0)
            {
                log.Info("User directory: asked the user actors of {0} users to write their rows", total);
                Context.Stop(Self);
                return;
            }

            Timers!.StartSingleTimer(Tick.Instance, Tick.Instance, TimeSpan.FromSeconds(1));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() => Self.Tell(Start.Instance);

    public static Props Props(IUserDirectory directory, IActorRef users, int perSecond) =>
        Akka.Actor.Props.Create(() => new DirectoryBackfill(directory, users, perSecond));

    private sealed class Start
    {
        public static readonly Start Instance = new();
    }

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }
}
