using Akka.Actor;
using Akka.Event;
using AkkaChat.Node.Hosting;

namespace AkkaChat.Node.Configuration;

/// <summary>
/// Re-reads the --config file when it changes and publishes its hot-reloadable part through
/// <see cref="RuntimeSettingsSource"/>. A file that no longer parses or validates is reported and
/// ignored: the node keeps running on the last good settings.
/// </summary>
public sealed class ConfigReloader : ReceiveActor, IWithTimers
{
    private readonly string _file;
    private readonly IReadOnlyList<string> _overrides;
    private readonly RuntimeSettingsSource _runtime;
    private readonly TimeSpan _interval;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private DateTime _lastWrite;

    public ConfigReloader(string file, IReadOnlyList<string> overrides, RuntimeSettingsSource runtime, TimeSpan interval)
    {
        _file = file;
        _overrides = overrides;
        _runtime = runtime;
        _interval = interval;
        _lastWrite = File.GetLastWriteTimeUtc(file);
        Receive<Check>(_ => CheckFile());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string file, IReadOnlyList<string> overrides, RuntimeSettingsSource runtime, TimeSpan interval) =>
        Akka.Actor.Props.Create(() => new ConfigReloader(file, overrides, runtime, interval));

    protected override void PreStart() => Timers.StartPeriodicTimer(Check.Instance, Check.Instance, _interval);

    private void CheckFile()
    {
        var lastWrite = File.Exists(_file) ? File.GetLastWriteTimeUtc(_file) : _lastWrite;
        if (lastWrite == _lastWrite)
        {
            return;
        }

        _lastWrite = lastWrite;
        try
        {
            var next = RuntimeSettings.Create(NodeConfig.Load(_file, _overrides));
            var previous = _runtime.Current;
            if (next == previous)
            {
                _log.Info("Reloaded {0}: no hot-reloadable setting changed (other keys need a restart)", _file);
                return;
            }

            _runtime.Update(next);
            _log.Info("Reloaded {0}: {1} -> {2}", _file, previous, next);
        }
        catch (Exception e)
        {
            _log.Warning("Ignoring changed {0}, keeping the running settings: {1}", _file, e.Message);
        }
    }

    private sealed class Check
    {
        public static readonly Check Instance = new();
    }
}
