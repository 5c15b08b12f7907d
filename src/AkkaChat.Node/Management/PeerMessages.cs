namespace AkkaChat.Node.Management;

/// <summary>Messages between the management peers of the nodes (<c>/user/management</c>), serialized by <see cref="ManagementSerializer"/>.</summary>
public interface IManagementMessage;

/// <summary>New hot settings, as HOCON lines of the hot keys, sent by the node where they changed to every member.</summary>
public sealed record RuntimeSettingsPublished(string Origin, string Hocon) : IManagementMessage;

/// <summary>Asks a peer for its current hot settings; answered with <see cref="RuntimeSettingsReport"/>.</summary>
public sealed record RuntimeSettingsQuery : IManagementMessage
{
    public static readonly RuntimeSettingsQuery Instance = new();
}

public sealed record RuntimeSettingsReport(string Node, string Hocon) : IManagementMessage;

/// <summary>Asks a peer for the hops of one message in its trace buffer; answered with <see cref="TraceHops"/>.</summary>
public sealed record TraceQuery(string ServerMsgId) : IManagementMessage;

public sealed record TraceHops(IReadOnlyList<TraceHop> Hops) : IManagementMessage;

/// <summary>
/// Asks a peer to close every logged-in connection of <paramref name="Phone"/> on its node (an
/// operator's kick); answered with <see cref="SessionsReport"/> naming the connections closed.
/// </summary>
public sealed record KickRequest(string Phone) : IManagementMessage;

/// <summary>Asks a peer for the logged-in connections of <paramref name="Phone"/> on its node; answered with <see cref="SessionsReport"/>.</summary>
public sealed record SessionsRequest(string Phone) : IManagementMessage;

/// <summary>A node's connections of one user: the connection actor's path and the client's address, one "PATH from REMOTE" each.</summary>
public sealed record SessionsReport(string Node, IReadOnlyList<string> Connections) : IManagementMessage;

/// <summary>
/// Asks the peer of the node hosting the user's shard for the user actor's status (it asks its
/// local shard region, so the query never crosses nodes); answered with <see cref="UserStatusReport"/>.
/// </summary>
public sealed record UserStatusRequest(string Phone) : IManagementMessage;

/// <summary>
/// The user actor's answer, or <paramref name="Answered"/> false when it did not answer in time.
/// Session is the attached connection's path (empty when offline); times are unix ms (0: none).
/// </summary>
public sealed record UserStatusReport(string Node, bool Answered, bool Registered, string Session, long SessionSinceMs, int QueuedItems, int OutboxReceipts, long LastSessionEndedAtMs) : IManagementMessage;
