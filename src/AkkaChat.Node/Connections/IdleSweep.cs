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

    internal IdleSweep(ActorSystem system)
    {
        var period = TimeSpan.FromMilliseconds(SlotMs);
        system.Scheduler.Advanced.ScheduleRepeatedly(period, period, Sweep);
    }

    public static IdleSweep Get(ActorSystem system) => system.WithExtension<IdleSweep, IdleSweepProvider>();

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

    private static void Add(SortedDictionary<long, List<Registration>> wheel, long slot, Registration connection)
    {
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
        }

        foreach (var slot in _dueSlots)
        {
            wheel.Remove(slot);
        }

        _dueSlots.Clear();
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
        private IActorRef? _connection;

        public Registration(IActorRef connection) => _connection = connection;

        internal IActorRef? Connection => Volatile.Read(ref _connection);

        /// <summary>The connection stopped: drop the reference to it now.</summary>
        public void Cancel() => Volatile.Write(ref _connection, null);
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
