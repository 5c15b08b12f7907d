using Akka.Configuration;
using AkkaChat.Node.Configuration;

namespace AkkaChat.Node.Transport;

/// <summary>
/// The socket layer's settings: <c>akkachat.connection.send-buffer-bytes</c>,
/// <c>akkachat.connection.slow-reader-timeout</c> and the diagnostic
/// <c>akkachat.transport.diagnostic-layer</c> (documented in hocon/akkachat.conf).
/// </summary>
public sealed record TransportSettings
{
    /// <summary>Bytes queued for a socket past which the node stops reading that socket.</summary>
    public required int SendBufferBytes { get; init; }

    /// <summary>How long a full send queue may go without any byte drained before the peer is closed.</summary>
    public required TimeSpan SlowReaderTimeout { get; init; }

    /// <summary>Where an accepted connection's pipeline ends; anything but Full is for memory measurements.</summary>
    public required PipelineLayer DiagnosticLayer { get; init; }

    /// <summary>Diagnostic: the file a memory bench reads the heap after a full GC from; empty: off.</summary>
    public required string DiagnosticHeapFile { get; init; }

    public static TransportSettings Create(Config akkachat) => new()
    {
        SendBufferBytes = PositiveSize(akkachat, "connection.send-buffer-bytes"),
        SlowReaderTimeout = AkkaChatSettings.PositiveTime(akkachat, "connection.slow-reader-timeout"),
        DiagnosticLayer = AkkaChatSettings.Read(akkachat, "transport.diagnostic-layer", static (c, path) => c.GetString(path))?.ToLowerInvariant() switch
        {
            "full" => PipelineLayer.Full,
            "socket" => PipelineLayer.Socket,
            "stream" => PipelineLayer.Stream,
            var other => throw new ConfigurationException($"akkachat.transport.diagnostic-layer: '{other}' is not full, socket or stream"),
        },
        DiagnosticHeapFile = akkachat.GetString("transport.diagnostic-heap-file") ?? string.Empty,
    };

    /// <summary>A HOCON size ("256KiB", "1MiB" or plain bytes) between 1 byte and 1 GiB.</summary>
    private static int PositiveSize(Config c, string key)
    {
        var value = AkkaChatSettings.Read(c, key, static (section, path) => section.GetByteSize(path)) ?? 0;
        return value is > 0 and <= 1L << 30
            ? (int)value
            : throw new ConfigurationException($"akkachat.{key} must be between 1 byte and 1GiB, is {value}");
    }
}

/// <summary>
/// How much of the per-connection pipeline the node builds for an accepted socket. Only
/// <see cref="Full"/> serves clients; the others exist to measure each layer's memory by subtraction.
/// </summary>
public enum PipelineLayer
{
    /// <summary>Socket, stream graph, ConnectionActor (and a UserActor once the client logs in).</summary>
    Full,

    /// <summary>Diagnostic: the accepted socket with its zero-byte read pending, nothing else.</summary>
    Socket,

    /// <summary>Diagnostic: socket and stream graph; frames go to one shared actor that drops them.</summary>
    Stream,
}
