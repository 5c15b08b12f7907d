using AkkaChat.Protocol;
using Google.Protobuf;

namespace AkkaChat.Node.Modules;

/// <summary>The connection phases in which a frame type can be served.</summary>
[Flags]
public enum ConnectionPhase
{
    /// <summary>Before AUTH_OK: only the types of <see cref="FrameTypeExtensions.IsAllowedBeforeAuth"/>.</summary>
    BeforeLogin = 1,

    /// <summary>After AUTH_OK.</summary>
    LoggedIn = 2,

    /// <summary>Both (PING).</summary>
    Always = BeforeLogin | LoggedIn,
}

/// <summary>
/// Handles one client-to-server frame of payload type <typeparamref name="T"/> on
/// <paramref name="connection"/>. A <see cref="ProtocolException"/> it throws is answered as
/// ERROR{code} (the connection stays unless the code closes it).
/// </summary>
public delegate void FrameHandler<in T>(T message, IConnection connection)
    where T : IMessage;

/// <summary>
/// Which module handles which client-to-server frame type in which connection phase: the table the
/// <see cref="Connections.ConnectionActor"/> dispatches through, built once from every
/// <see cref="INodeModule"/> and shared by all connections. A type with no entry for the phase is
/// not served by this node: UNKNOWN_TYPE, and the connection stays open (before login, a type the
/// protocol does not allow before login is UNAUTHENTICATED instead).
/// </summary>
public sealed class FrameRoutes
{
    // Indexed by type code: one array load per frame.
    private readonly FrameHandler<IMessage>?[] _beforeLogin;
    private readonly FrameHandler<IMessage>?[] _loggedIn;

    private readonly Action<IConnection>[] _onLogin;

    private FrameRoutes(FrameHandler<IMessage>?[] beforeLogin, FrameHandler<IMessage>?[] loggedIn, Action<IConnection>[] onLogin)
    {
        _beforeLogin = beforeLogin;
        _loggedIn = loggedIn;
        _onLogin = onLogin;
    }

    /// <summary>
    /// Runs every module's login hook (<see cref="Builder.OnLogin"/>), in module order, inside the
    /// connection right after it answered AUTH_OK.
    /// </summary>
    public void LoggedIn(IConnection connection)
    {
        foreach (var hook in _onLogin)
        {
            hook(connection);
        }
    }

    /// <summary>Builds the table from <paramref name="modules"/>, in order.</summary>
    public static FrameRoutes Build(IEnumerable<INodeModule> modules, Akka.Hosting.IReadOnlyActorRegistry registry)
    {
        var builder = new Builder();
        foreach (var module in modules)
        {
            builder.Module = module.Name;
            module.MapFrames(builder, registry);
        }

        return builder.Build();
    }

    /// <summary>The handler of <paramref name="type"/> in <paramref name="phase"/> (one phase, not a combination), if any.</summary>
    public FrameHandler<IMessage>? Find(FrameType type, ConnectionPhase phase) =>
        (phase == ConnectionPhase.LoggedIn ? _loggedIn : _beforeLogin)[(byte)type];

    /// <summary>The module that serves each (type, phase), for the node's log and docs.</summary>
    public IReadOnlyList<(FrameType Type, ConnectionPhase Phase, string Module)> Entries { get; private init; } = [];

    public sealed class Builder
    {
        private readonly FrameHandler<IMessage>?[] _beforeLogin = new FrameHandler<IMessage>?[256];
        private readonly FrameHandler<IMessage>?[] _loggedIn = new FrameHandler<IMessage>?[256];
        private readonly List<(FrameType, ConnectionPhase, string)> _entries = [];
        private readonly List<Action<IConnection>> _onLogin = [];

        internal string Module { get; set; } = "?";

        /// <summary>
        /// Serves the client-to-server frame type whose payload is <typeparamref name="T"/> (looked up
        /// in the codec table) in <paramref name="phase"/>.
        /// </summary>
        public Builder Serve<T>(ConnectionPhase phase, FrameHandler<T> handler)
            where T : IMessage
        {
            if (!FrameCodec.TryGetType(typeof(T), out var type) || !type.IsClientToServer())
            {
                throw new ArgumentException($"{typeof(T).Name} is not the payload of a client-to-server frame type");
            }

            if (phase.HasFlag(ConnectionPhase.BeforeLogin) && !type.IsAllowedBeforeAuth())
            {
                throw new ArgumentException($"the protocol does not allow {type} before login");
            }

            FrameHandler<IMessage> untyped = (message, connection) => handler((T)message, connection);
            foreach (var (flag, table) in new[] { (ConnectionPhase.BeforeLogin, _beforeLogin), (ConnectionPhase.LoggedIn, _loggedIn) })
            {
                if (!phase.HasFlag(flag))
                {
                    continue;
                }

                if (table[(byte)type] is not null)
                {
                    var owner = _entries.First(e => e.Item1 == type && e.Item2 == flag).Item3;
                    throw new InvalidOperationException($"{type} ({flag}) is served by module {owner}; {Module} cannot serve it too");
                }

                table[(byte)type] = untyped;
                _entries.Add((type, flag, Module));
            }

            return this;
        }

        /// <summary>
        /// Runs <paramref name="hook"/> on every connection right after its login (AUTH_OK written;
        /// <see cref="IConnection.Phone"/> set): for a module that owes the user something at login.
        /// It must not block, as a frame handler.
        /// </summary>
        public Builder OnLogin(Action<IConnection> hook)
        {
            _onLogin.Add(hook);
            return this;
        }

        internal FrameRoutes Build() => new(_beforeLogin, _loggedIn, _onLogin.ToArray()) { Entries = _entries.ToArray() };
    }
}
