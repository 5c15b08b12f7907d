using System.Diagnostics.Metrics;
using AkkaChat.Node.Diagnostics;
using Prometheus;

namespace AkkaChat.Node.Web;

/// <summary>
/// The web port's instruments, one set per node (its own <see cref="Meter"/> instance, so nodes in one
/// process do not add up), and the Prometheus text at <c>GET /metrics</c>: these instruments, the
/// node's meter (<see cref="NodeMetrics.MeterName"/>) and the runtime's GC and heap figures, collected
/// into a registry of this node's own.
/// </summary>
public sealed class WebMetrics : IDisposable
{
    public const string MeterName = "AkkaChat.Node.Web";

    private readonly Meter _meter = new(MeterName);
    private readonly IDisposable _adapter;

    public WebMetrics()
    {
        WebSocketSessions = _meter.CreateUpDownCounter<long>("akkachat.websocket.sessions", description: "WebSocket sessions open on this node's web port");
        MediaUploads = _meter.CreateCounter<long>("akkachat.media.uploads", description: "POST /v1/media by result: stored, too_large, unauthorized");
        MediaUploadedBytes = _meter.CreateCounter<long>("akkachat.media.uploaded.bytes", unit: "By", description: "bytes of media stored");
        Registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        _adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            InstrumentFilterPredicate = instrument => instrument.Meter == _meter || instrument.Meter.Name == NodeMetrics.MeterName,
        });
    }

    public UpDownCounter<long> WebSocketSessions { get; }

    public Counter<long> MediaUploads { get; }

    public Counter<long> MediaUploadedBytes { get; }

    public CollectorRegistry Registry { get; }

    public void Dispose()
    {
        _adapter.Dispose();
        _meter.Dispose();
    }
}
