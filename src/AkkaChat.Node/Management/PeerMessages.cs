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
