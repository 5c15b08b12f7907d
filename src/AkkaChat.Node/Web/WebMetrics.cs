using System.Diagnostics.Metrics;
using AkkaChat.Node.Diagnostics;
using Prometheus;

namespace AkkaChat.Node.Web;

/// <summary>
/// The Prometheus text at <c>GET /metrics</c>, from a registry of this node's own: the web port's
/// instruments (one set per node, so nodes in one process do not add up), the counters of the node's
/// meter (<see cref="NodeMetrics.MeterName"/>, bridged by a listener), and the runtime's GC, heap and
/// process figures.
/// </summary>
public sealed class WebMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<Instrument, Counter> _nodeCounters = new();

    public WebMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        DotNetStats.Register(Registry);
        WebSocketSessions = factory.CreateGauge("akkachat_websocket_sessions", "WebSocket sessions open on this node's web port");
        MediaUploads = factory.CreateCounter("akkachat_media_uploads_total", "POST /v1/media by result: stored, too_large, unauthorized", "result");
        MediaUploadedBytes = factory.CreateCounter("akkachat_media_uploaded_bytes_total", "bytes of media stored");

        // The node's meter: each counter becomes akkachat_<name>_total (dots to underscores).
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == NodeMetrics.MeterName && instrument is Counter<long>)
            {
                lock (_nodeCounters)
                {
                    _nodeCounters[instrument] = factory.CreateCounter(instrument.Name.Replace('.', '_') + "_total", instrument.Description ?? instrument.Name);
                }

                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            Counter? counter;
            lock (_nodeCounters)
            {
                _nodeCounters.TryGetValue(instrument, out counter);
            }

            counter?.Inc(value);
        });
        _listener.Start();
    }

    public Gauge WebSocketSessions { get; }

    public Counter MediaUploads { get; }

    public Counter MediaUploadedBytes { get; }

    public CollectorRegistry Registry { get; }

    public void Dispose() => _listener.Dispose();
}
