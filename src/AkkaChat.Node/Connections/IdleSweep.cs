using Akka.Actor;
using Akka.Event;
using AkkaChat.Node.Configuration;

namespace AkkaChat.Node.Connections;

/// <summary>
/// The node's one timer for connection deadlines: the idle timeout (<c>akkachat.connection.idle-timeout</c>)
/// and the login deadline (<c>connection.login-timeout</c>). A connection holds no timer of its own:
/// it hands this sweep its actor ref once, with the time it last received a frame (or its login
/// deadline), and is told <see cref="Silent"/> (or <see cref="LoginDue"/>) when that time is past.
/// <para>Silent connections are kept by the slot (<see cref="SlotMs"/>) of their last-received time,
/// per <see cref="RuntimeSettingsSource"/>, and the idle timeout is read at every sweep: a reload
/// applies at the next sweep, whether it shortens or lengthens the timeout. A connection told
/// <see cref="Silent"/> compares its own last-received time: if it received since, it hands that
/// time back, so an active connection costs the sweep one call per idle timeout, and a frame
/// received costs nothing here. Deadlines fire at most one slot late.</para>
/// <para>Per connection this holds one <see cref="Registration"/> in a slot's list until the slot
/// is due, never the actor itself: a connection that stops cancels its registration, and its
/// actor, stream graph and buffers are collectable at once instead of living on until its login
/// deadline or idle timeout would have come (10 minutes or more under connection churn).</para>
/// </summary>
public sealed class IdleSweep : IExtension
{
    /// <summary>The sweep's period and the resolution of every deadline.</summary>
    public const int SlotMs = 250;

    private readonly object _lock = new();
    private readonly Dictionary<RuntimeSettingsSource, SortedDictionary<long, List<Registration>>> _silent = new(ReferenceEqualityComparer.Instance);
    private readonly SortedDictionary<long, List<Registration>> _loginDue = new();
    private readonly List<long> _dueSlots = new();
    private readonly List<Registration> _toldSilent = new();
    private readonly List<Registration> _toldLoginDue = new();
    private long _entries; // registrations in every wheel's slots (one connection is in up to two)
    private long _cancelled; // registrations cancelled since the last compaction

    /// <summary>
    /// Cancelled registrations wait in their slots until due (a login deadline is 10 minutes ahead);
    /// once at least this many are cancelled and they are about half of all entries, the sweep drops them
    /// from every slot, so what it holds stays within about twice the open connections.
    /// </summary>
    private const long CompactAfterCancelled = 1024;

    internal IdleSweep(ActorSystem system)
    {
        var period = TimeSpan.FromMilliseconds(SlotMs);
        system.Scheduler.Advanced.ScheduleRepeatedly(period, period, Sweep);
    }

    public static IdleSweep Get(ActorSystem system) => system.WithExtension<IdleSweep, IdleSweepProvider>();

    /// <summary>A connection's entry for <see cref="WhenSilent"/> and <see cref="WhenLoginDue"/>; it cancels it when it stops.</summary>
    public Registration Register(IActorRef connection) => new(this, connection);

    /// <summary>Registrations held in the slots now, cancelled or not (for tests and diagnostics).</summary>
    internal long Entries
    {
        get
        {
            lock (_lock)
            {
                return _entries;
            }
        }
    }

    /// <summary>
    /// Tell <paramref name="connection"/> <see cref="Silent"/> once the idle timeout of
    /// <paramref name="runtime"/> (as it is then) has passed since <paramref name="lastReceivedMs"/>
    /// (<see cref="Environment.TickCount64"/>).
    /// </summary>
    public void WhenSilent(Registration connection, RuntimeSettingsSource runtime, long lastReceivedMs)
    {
        lock (_lock)
        {
            if (!_silent.TryGetValue(runtime, out var wheel))
            {
                _silent[runtime] = wheel = new SortedDictionary<long, List<Registration>>();
            }

            Add(wheel, lastReceivedMs / SlotMs, connection);
        }
    }

    /// <summary>Tell <paramref name="connection"/> <see cref="LoginDue"/> once <paramref name="dueMs"/> (<see cref="Environment.TickCount64"/>) has passed.</summary>
    public void WhenLoginDue(Registration connection, long dueMs)
    {
        lock (_lock)
        {
            Add(_loginDue, (dueMs + SlotMs - 1) / SlotMs, connection); // rounded up: never early
        }
    }

    private void Add(SortedDictionary<long, List<Registration>> wheel, long slot, Registration connection)
    {
        _entries++;
        if (!wheel.TryGetValue(slot, out var list))
        {
            wheel[slot] = list = new List<Registration>();
        }

        list.Add(connection);
    }

    private void Sweep()
    {
        var now = Environment.TickCount64;
        lock (_lock)
        {
            List<RuntimeSettingsSource>? emptied = null;
            foreach (var (runtime, wheel) in _silent)
            {
                // Every time in slot s is before (s + 1) * SlotMs: the slot is due once that plus the timeout has passed.
                var idleMs = (long)runtime.Current.IdleTimeout.TotalMilliseconds;
                TakeDue(wheel, (now - idleMs) / SlotMs - 1, _toldSilent);
                if (wheel.Count == 0)
                {
                    (emptied ??= new List<RuntimeSettingsSource>()).Add(runtime);
                }
            }

            foreach (var runtime in emptied ?? [])
            {
                _silent.Remove(runtime);
            }

            TakeDue(_loginDue, now / SlotMs, _toldLoginDue);
            Tell(_toldSilent, Silent.Instance);
            Tell(_toldLoginDue, LoginDue.Instance);
            var cancelled = Interlocked.Read(ref _cancelled);
            // A registration is in up to two slots (idle timeout and, before login, the login deadline).
            if (cancelled >= CompactAfterCancelled && cancelled * 4 >= _entries)
            {
                Compact();
            }
        }
    }

    /// <summary>Moves the connections of every slot up to <paramref name="lastDueSlot"/> into <paramref name="due"/>.</summary>
    private void TakeDue(SortedDictionary<long, List<Registration>> wheel, long lastDueSlot, List<Registration> due)
    {
        foreach (var (slot, list) in wheel)
        {
            if (slot > lastDueSlot)
            {
                break;
            }

            _dueSlots.Add(slot);
            due.AddRange(list);
            _entries -= list.Count;
        }

        foreach (var slot in _dueSlots)
        {
            wheel.Remove(slot);
        }

        _dueSlots.Clear();
    }

    /// <summary>Drops cancelled registrations from every slot (under the lock).</summary>
    private void Compact()
    {
        Interlocked.Exchange(ref _cancelled, 0);
        foreach (var wheel in _silent.Values.Append(_loginDue))
        {
            foreach (var (slot, list) in wheel)
            {
                _entries -= list.RemoveAll(r => r.Connection is null);
                if (list.Count == 0)
                {
                    _dueSlots.Add(slot);
                }
            }

            foreach (var slot in _dueSlots)
            {
                wheel.Remove(slot);
            }

            _dueSlots.Clear();
        }
    }

    private static void Tell(List<Registration> connections, object message)
    {
        foreach (var registration in connections)
        {
            registration.Connection?.Tell(message, ActorRefs.NoSender);
        }

        connections.Clear();
    }

    /// <summary>
    /// A connection's entry in the sweep. The sweep holds this, not the connection's actor ref (which
    /// keeps the stopped actor's cell, state and stream graph reachable), and the connection cancels it
    /// when it stops: a due slot then tells no one.
    /// </summary>
    public sealed class Registration
    {
        private readonly IdleSweep _sweep;
        private IActorRef? _connection;

        internal Registration(IdleSweep sweep, IActorRef connection)
        {
            _sweep = sweep;
            _connection = connection;
        }

        internal IActorRef? Connection => Volatile.Read(ref _connection);

        /// <summary>The connection stopped: drop the reference to it now; the entry itself goes at its slot or at the next compaction.</summary>
        public void Cancel()
        {
            if (Interlocked.Exchange(ref _connection, null) is not null)
            {
                Interlocked.Increment(ref _sweep._cancelled);
            }
        }
    }

    /// <summary>The idle timeout may have passed since the connection last received a frame: it checks, and closes or hands its time back.</summary>
    public sealed class Silent : IDeadLetterSuppression
    {
        public static readonly Silent Instance = new();
    }

    /// <summary>The login deadline has passed: a connection still not logged in closes.</summary>
    public sealed class LoginDue : IDeadLetterSuppression
    {
        public static readonly LoginDue Instance = new();
    }
}

public sealed class IdleSweepProvider : ExtensionIdProvider<IdleSweep>
{
    public override IdleSweep CreateExtension(ExtendedActorSystem system) => new(system);
}
