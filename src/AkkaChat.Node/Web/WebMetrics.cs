using System.Diagnostics.Metrics;
using Akka.Actor;
using AkkaChat.Node.Diagnostics;
using Prometheus;

namespace AkkaChat.Node.Web;

/// <summary>
/// The Prometheus text at <c>GET /metrics</c>, from a registry of this node's own: the web port's
/// instruments, this node's meter (<see cref="NodeMetrics"/>: the listener takes that meter
/// instance only, so nodes sharing a process never add up), and the runtime's GC, heap and process
/// figures (those are the process's). Every series carries <c>node="NAME"</c>.
/// <para>Names: a counter <c>akkachat.x.y</c> becomes <c>akkachat_x_y_total</c>, a histogram in
/// seconds <c>akkachat_x_y_seconds</c> (<c>_bucket</c>, <c>_sum</c>, <c>_count</c>), a gauge
/// <c>akkachat_x_y</c>; an instrument's tags become labels.</para>
/// </summary>
public sealed class WebMetrics : IDisposable
{
    /// <summary>The label each tagged instrument carries (its measurements' one tag); the others have none.</summary>
    private static readonly Dictionary<string, string> LabelOf = new()
    {
        ["akkachat.connections.accepted"] = "transport",
        ["akkachat.connections.refused"] = "transport",
        ["akkachat.connections.open"] = "transport",
        ["akkachat.frames.received"] = "type",
        ["akkachat.errors.sent"] = "code",
        ["akkachat.supervisor.failures"] = "supervisor",
    };

    private readonly MeterListener _listener = new();
    private readonly Dictionary<Instrument, Collector> _collectors = new();
    private readonly Meter _meter;

    public WebMetrics(ActorSystem system)
    {
        var metrics = NodeMetrics.Get(system);
        _meter = metrics.Meter;
        Registry = Metrics.NewCustomRegistry();
        Registry.SetStaticLabels(new Dictionary<string, string> { ["node"] = metrics.NodeName });
        var factory = Metrics.WithCustomRegistry(Registry);
        DotNetStats.Register(Registry);
        WebSocketSessions = factory.CreateGauge("akkachat_websocket_sessions", "WebSocket sessions open on this node's web port");
        MediaUploads = factory.CreateCounter("akkachat_media_uploads_total", "POST /v1/media by result: stored, too_large, unauthorized", "result");
        MediaUploadedBytes = factory.CreateCounter("akkachat_media_uploaded_bytes_total", "bytes of media stored");

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter != _meter || Create(factory, instrument) is not { } collector)
            {
                return;
            }

            lock (_collectors)
            {
                _collectors[instrument] = collector;
            }

            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Measured(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Measured(instrument, value, tags));
        _listener.Start();
        Registry.AddBeforeCollectCallback(_listener.RecordObservableInstruments); // the gauges, sampled per scrape
    }

    public Gauge WebSocketSessions { get; }

    public Counter MediaUploads { get; }

    public Counter MediaUploadedBytes { get; }

    public CollectorRegistry Registry { get; }

    public void Dispose() => _listener.Dispose();

    private static Collector? Create(MetricFactory factory, Instrument instrument)
    {
        var name = instrument.Name.Replace('.', '_');
        var help = instrument.Description ?? instrument.Name;
        string[] labels = LabelOf.TryGetValue(instrument.Name, out var label) ? [label] : [];
        return instrument switch
        {
            Counter<long> => factory.CreateCounter(name + "_total", help, labels),
            Histogram<double> => factory.CreateHistogram(name + "_seconds", help, new HistogramConfiguration { LabelNames = labels, Buckets = NodeMetrics.LatencyBuckets }),
            ObservableGauge<long> => factory.CreateGauge(name, help, labels),
            _ => null,
        };
    }

    private void Measured(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        Collector? collector;
        lock (_collectors)
        {
            _collectors.TryGetValue(instrument, out collector);
        }

        var labelValue = tags.Length > 0 ? tags[0].Value?.ToString() ?? string.Empty : null;
        switch (collector)
        {
            case Counter counter:
                (labelValue is null ? (ICounter)counter : counter.WithLabels(labelValue)).Inc(value);
                break;
            case Histogram histogram:
                (labelValue is null ? (IHistogram)histogram : histogram.WithLabels(labelValue)).Observe(value);
                break;
            case Gauge gauge:
                (labelValue is null ? (IGauge)gauge : gauge.WithLabels(labelValue)).Set(value);
                break;
        }
    }
}
