using Akka.Actor;

namespace AkkaChat.Node.Connections;

/// <summary>
/// Single-shot timers of one actor, for actors that exist by the thousand and rarely time anything
/// (a <see cref="ConnectionActor"/> while idle starts none). Akka's <c>IWithTimers</c> gives every
/// such actor a timer scheduler at creation (the scheduler, its dictionary, a counter and a logger,
/// about 0.3 KB); this is created by its owner on first use and holds only the timers running.
/// <para>Same semantics as Akka's single timers: a key names at most one timer, starting it again
/// replaces it, and a timer cancelled or replaced after it fired (its message already in the
/// mailbox) is not delivered: the owner passes every <see cref="Fired"/> to <see cref="Accept"/>,
/// which answers the key to handle, or null for a stale one.</para>
/// </summary>
public sealed class SingleTimers(IActorRef owner, IScheduler scheduler)
{
    // A few keys at most per actor (login, close, resume, answer check): a list beats a dictionary.
    private readonly List<Running> _running = new(2);
    private int _generation;

    /// <summary>What the scheduler delivers to the owner; give it to <see cref="Accept"/>.</summary>
    public sealed record Fired(object Key, int Generation);

    private sealed record Running(object Key, int Generation, ICancelable Cancelable);

    public bool IsTimerActive(object key) => IndexOf(key) >= 0;

    /// <summary>After <paramref name="delay"/> the owner receives <paramref name="key"/> (through <see cref="Accept"/>), unless cancelled or started again first.</summary>
    public void StartSingleTimer(object key, TimeSpan delay)
    {
        Cancel(key);
        var generation = ++_generation;
        var cancelable = scheduler.ScheduleTellOnceCancelable(delay, owner, new Fired(key, generation), ActorRefs.NoSender);
        _running.Add(new Running(key, generation, cancelable));
    }

    public void Cancel(object key)
    {
        var index = IndexOf(key);
        if (index >= 0)
        {
            _running[index].Cancelable.Cancel();
            _running.RemoveAt(index);
        }
    }

    public void CancelAll()
    {
        foreach (var running in _running)
        {
            running.Cancelable.Cancel();
        }

        _running.Clear();
    }

    /// <summary>The key of a timer that fired and is still current (now no longer active), or null for a stale one.</summary>
    public object? Accept(Fired fired)
    {
        for (var i = 0; i < _running.Count; i++)
        {
            if (_running[i].Generation == fired.Generation)
            {
                _running.RemoveAt(i);
                return fired.Key;
            }
        }

        return null;
    }

    private int IndexOf(object key)
    {
        for (var i = 0; i < _running.Count; i++)
        {
            if (Equals(_running[i].Key, key))
            {
                return i;
            }
        }

        return -1;
    }
}
