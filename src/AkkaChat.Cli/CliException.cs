namespace AkkaChat.Cli;

/// <summary>Process exit codes of <c>akkachat</c>.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The server refused, could not be reached, or did not answer in time.</summary>
    public const int Failure = 1;

    /// <summary>Bad command line: unknown option, malformed phone number or address, missing credentials.</summary>
    public const int Usage = 2;
}

/// <summary>An error to report as one line, <c>akkachat: error: {Message}</c>, with its exit code.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
