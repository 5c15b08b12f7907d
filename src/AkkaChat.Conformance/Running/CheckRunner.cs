using System.Diagnostics;

namespace AkkaChat.Conformance;

/// <summary>
/// Runs checks one after another, each under its own deadline (a server that never answers gives
/// FAIL, not a hang), and prints one line per check as it ends:
/// <c>PASS area/name - rule</c>, <c>FAIL area/name - rule: why</c> or <c>SKIP area/name - rule: why</c>.
/// </summary>
public sealed class CheckRunner(KitOptions options, TextWriter output)
{
    public async Task<IReadOnlyList<CheckResult>> RunAsync(IEnumerable<Check> checks)
    {
        var results = new List<CheckResult>();
        foreach (var check in checks)
        {
            var result = await RunOneAsync(check);
            results.Add(result);
            output.WriteLine(Line(result));
            await output.FlushAsync();
        }

        return results;
    }

    public static string Line(CheckResult r) => r.Verdict switch
    {
        Verdict.Passed => $"PASS {r.Check.Id} - {r.Check.Rule}{(r.Detail is null ? "" : $" [{r.Detail}]")}",
        Verdict.Failed => $"FAIL {r.Check.Id} - {r.Check.Rule}: {r.Detail}",
        _ => $"SKIP {r.Check.Id} - {r.Check.Rule}: {r.Detail}",
    };

    /// <summary>The summary line: skipped checks are neither passed nor failed.</summary>
    public static string Summary(IReadOnlyCollection<CheckResult> results) =>
        $"{results.Count(r => r.Verdict == Verdict.Passed)} passed, {results.Count(r => r.Verdict == Verdict.Failed)} failed";

    private async Task<CheckResult> RunOneAsync(Check check)
    {
        if (check.Requires?.Invoke(options) is { } missing)
        {
            return new CheckResult(check, Verdict.Skipped, missing, TimeSpan.Zero);
        }

        var clock = Stopwatch.StartNew();
        var context = new CheckContext(options);
        var probe = Task.Run(() => check.Probe(context));
        try
        {
            var deadline = check.Timeout?.Invoke(options) is { } own && own > options.CheckTimeout ? own : options.CheckTimeout;
            var finished = await Task.WhenAny(probe, Task.Delay(deadline));
            if (finished != probe)
            {
                return new CheckResult(check, Verdict.Failed, $"did not finish within {deadline.TotalSeconds:0.#} s", clock.Elapsed);
            }

            var note = await probe;
            return new CheckResult(check, Verdict.Passed, note, clock.Elapsed);
        }
        catch (CheckFailedException e)
        {
            return new CheckResult(check, Verdict.Failed, e.Message, clock.Elapsed);
        }
        catch (Exception e)
        {
            return new CheckResult(check, Verdict.Failed, $"{e.GetType().Name}: {e.Message}", clock.Elapsed);
        }
        finally
        {
            // Closing the check's connections also ends a probe that outlived its deadline.
            await context.DisposeAsync();
            _ = probe.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
        }
    }
}
