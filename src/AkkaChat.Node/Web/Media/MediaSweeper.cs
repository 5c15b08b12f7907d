using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AkkaChat.Node.Web.Media;

/// <summary>
/// Deletes expired media every akkachat.media.sweep-interval (and once at start). In a cluster every
/// node sweeps the shared store; deleting is idempotent. Expired media are never served meanwhile:
/// the store's FindAsync checks the expiry itself.
/// </summary>
internal sealed class MediaSweeper : BackgroundService
{
    private readonly IMediaStore _store;
    private readonly WebSettings _settings;
    private readonly TimeProvider _clock;
    private readonly ILogger<MediaSweeper> _log;

    public MediaSweeper(IMediaStore store, WebSettings settings, TimeProvider clock, ILogger<MediaSweeper> log)
    {
        _store = store;
        _settings = settings;
        _clock = clock;
        _log = log;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_settings.MediaSweepInterval, _clock);
        do
        {
            try
            {
                var deleted = await _store.DeleteExpiredAsync(_clock.GetUtcNow().ToUnixTimeMilliseconds(), stoppingToken);
                if (deleted > 0)
                {
                    _log.LogInformation("Deleted {Count} expired media", deleted);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.LogWarning(e, "Sweeping expired media failed; trying again in {Interval}", _settings.MediaSweepInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
