namespace AkkaChat.Bench.Load;

/// <summary>
/// Drives one share of a run's users. The same class runs inside the bench process (--workers 0 or 1)
/// or in a child <c>akkachat-bench worker</c> process (see <see cref="WorkerHost"/>): setup, then one
/// measured run, then disposal closes every connection.
/// </summary>
public sealed class Worker : IAsyncDisposable
{
    private WorkerMetrics? _metrics;
    private IScenarioLoad? _load;

    public WorkerProgress Progress => _metrics?.Progress() ?? new WorkerProgress();

    public async Task<WorkerReport> SetupAsync(WorkerPlan plan, CancellationToken cancellationToken)
    {
        if (_load is not null)
        {
            throw new InvalidOperationException("a worker runs one plan");
        }

        _metrics = new WorkerMetrics(plan.UserCount);
        _load = ScenarioLoad.Create(plan, _metrics);
        await _load.SetupAsync(cancellationToken);
        return _metrics.Report();
    }

    public async Task<WorkerReport> RunAsync(CancellationToken cancellationToken)
    {
        if (_load is null || _metrics is null)
        {
            throw new InvalidOperationException("set the worker up first");
        }

        await _load.RunAsync(cancellationToken);
        return _metrics.Report();
    }

    public async ValueTask DisposeAsync()
    {
        if (_load is not null)
        {
            await _load.DisposeAsync();
        }
    }
}
