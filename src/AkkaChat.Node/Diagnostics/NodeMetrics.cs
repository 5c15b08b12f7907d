using System.Diagnostics.Metrics;

namespace AkkaChat.Node.Diagnostics;

/// <summary>
/// The node's metrics, published through the .NET meter <see cref="MeterName"/>: read them with
/// <c>dotnet-counters monitor -n AkkaChat.Node --counters AkkaChat.Node</c>, or export them with any
/// OpenTelemetry or Prometheus listener. Counters only; adding to one allocates nothing.
/// </summary>
public static class NodeMetrics
{
    public const string MeterName = "AkkaChat.Node";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> ConnectionsAccepted =
        Meter.CreateCounter<long>("akkachat.connections.accepted", description: "client connections accepted");

    public static readonly Counter<long> ConnectionsRefused =
        Meter.CreateCounter<long>("akkachat.connections.refused", description: "connections answered with OVERLOADED at the connection limit");

    public static readonly Counter<long> MessagesQueued =
        Meter.CreateCounter<long>("akkachat.messages.queued", description: "messages journaled for their recipient (each got one SEND_ACK)");

    public static readonly Counter<long> ItemsAcknowledged =
        Meter.CreateCounter<long>("akkachat.items.acknowledged", description: "queued items acknowledged by their user and removed");

    public static readonly Counter<long> ItemsExpired =
        Meter.CreateCounter<long>("akkachat.items.expired", description: "queued items dropped unacknowledged after akkachat.retention.max-age");

    public static readonly Counter<long> StatusesExpired =
        Meter.CreateCounter<long>("akkachat.statuses.expired", description: "queued STATUS_UPDATEs that passed their expires_at_ms undelivered and were dropped");
}
