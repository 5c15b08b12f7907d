namespace AkkaChat.Conformance;

/// <summary>
/// What the kit knows about the server under test. Only <see cref="Host"/> and <see cref="Port"/> are
/// required; the rest default to the values PROTOCOL.md gives, or leave the checks that need them
/// skipped.
/// </summary>
public sealed record KitOptions
{
    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>HTTP and WebSocket port (PROTOCOL.md: 4780).</summary>
    public int WebPort { get; init; } = 4780;

    /// <summary>Whole-check deadline: a check still running after this FAILs.</summary>
    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one expected answer may take.</summary>
    public TimeSpan AnswerTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the kit watches for something that must NOT arrive (a duplicate, a second close).</summary>
    public TimeSpan QuietWindow { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The server's akkachat.connection.idle-timeout (PROTOCOL.md default: 5 minutes).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The server's connection limit, when known; errors/overloaded needs it.</summary>
    public int? MaxConnections { get; init; }

    /// <summary>SENDs written back to back to reach the rate limit (the spec names no limit).</summary>
    public int RateLimitProbe { get; init; } = 2000;

    /// <summary>The server's akkachat.retention.max-age, when short enough to wait for.</summary>
    public TimeSpan? RetentionMaxAge { get; init; }

    /// <summary>Where registration codes come from: AUTH_CODE_SENT.dev_code by default.</summary>
    public CodeSource Codes { get; init; } = CodeSource.DevCode;
}
