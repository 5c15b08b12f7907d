namespace AkkaChat.Conformance;

/// <summary>
/// One rule of PROTOCOL.md held against a server: its area (framing, login, ...), a short name, the
/// rule in the spec's words, and the probe. A probe that returns normally passes; it may return a
/// note ("saw reading X") where the spec allows several readings.
/// </summary>
public sealed record Check(string Area, string Name, string Rule, Func<CheckContext, Task<string?>> Probe)
{
    public string Id => $"{Area}/{Name}";

    /// <summary>
    /// When set, the check needs a fact about the server the spec does not fix (a configured limit);
    /// it returns why it cannot run without it, and the check is reported as skipped.
    /// </summary>
    public Func<KitOptions, string?>? Requires { get; init; }

    /// <summary>A deadline longer than the kit's default, for a check that must wait (idle timeout).</summary>
    public Func<KitOptions, TimeSpan>? Timeout { get; init; }
}

/// <summary>A check's verdict: FAIL with this reason.</summary>
public sealed class CheckFailedException(string reason) : Exception(reason);

/// <summary>The outcome of one check.</summary>
public enum Verdict
{
    Passed,
    Failed,
    Skipped,
}

public sealed record CheckResult(Check Check, Verdict Verdict, string? Detail, TimeSpan Elapsed);
