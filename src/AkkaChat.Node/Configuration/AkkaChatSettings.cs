using Akka.Configuration;

namespace AkkaChat.Node.Configuration;

/// <summary>
/// The node's settings, built once from the <c>akkachat</c> HOCON section and validated on the way.
/// Actors receive these (or the <see cref="RuntimeSettings"/> source) and never read config.
/// </summary>
public sealed record AkkaChatSettings
{
    /// <summary>
    /// Shards users are spread over. Fixed forever: a user's shard is hash(phone) mod this, and
    /// changing it would move users while their journals are written.
    /// </summary>
    public const int ShardCount = 256;

    public required string NodeName { get; init; }
    public required string ListenHost { get; init; }
    public required int ListenPort { get; init; }
    public required int Backlog { get; init; }

    /// <summary>Pause after a failed accept before the next (akkachat.listen.accept-retry-delay).</summary>
    public TimeSpan AcceptRetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public required string DataDir { get; init; }
    public required StorageProvider Storage { get; init; }
    public required string StorageConnectionString { get; init; }

    /// <summary>The journal's group commit and SQLite's durability level (akkachat.storage.journal, .sqlite).</summary>
    public JournalSettings Journal { get; init; } = JournalSettings.Default;

    public required bool RevealCodes { get; init; }
    public required TimeSpan CodeTtl { get; init; }
    public required int CodeMaxTries { get; init; }

    public required int MaxDeviceTokens { get; init; }

    /// <summary>AUTH_REQUEST_CODE limits per phone and per source address (akkachat.registration).</summary>
    public required AkkaChat.Node.Registration.CodeRequestLimits CodeRequests { get; init; }

    /// <summary>The connection actor's own settings (akkachat.connection).</summary>
    public required ConnectionSettings Connection { get; init; }

    public required AkkaChat.Node.Transport.TransportSettings Transport { get; init; }
    public required int ReceiveWindowFrames { get; init; }

    public required int MaxBodyBytes { get; init; }
    public required int MaxClientMsgIdLength { get; init; }

    public required int DeliveryWindow { get; init; }
    public required int DedupWindow { get; init; }
    public required int SnapshotAfter { get; init; }
    public required TimeSpan ReceiptConfirmationDelay { get; init; }
    public required int MaxConfirmationBatch { get; init; }
    public required TimeSpan OutboxResendInterval { get; init; }

    public required TimeSpan PassivateAfter { get; init; }

    /// <summary>Whether a user actor passivates also while a session is attached and idle (akkachat.users.passivate-logged-in).</summary>
    public bool PassivateLoggedIn { get; init; } = false;
    /// <summary>Wait before a user actor reads a status body again after a failed read (akkachat.users.status-read-retry).</summary>
    public TimeSpan StatusReadRetry { get; init; } = TimeSpan.FromSeconds(1);
    public required TimeSpan RetentionMaxAge { get; init; }
    public required TimeSpan ConfigReloadInterval { get; init; }

    /// <summary>Restarts of one child the node's supervisor allows within <see cref="SupervisorRestartWindow"/>.</summary>
    public required int SupervisorMaxRestarts { get; init; }
    public required TimeSpan SupervisorRestartWindow { get; init; }

    /// <summary>How often the node's gauges are sampled (akkachat.metrics.sample-interval).</summary>
    public TimeSpan MetricsSampleInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long stopping the node waits for every connection to close (akkachat.shutdown.drain-timeout).</summary>
    public TimeSpan ShutdownDrainTimeout { get; init; } = TimeSpan.FromSeconds(9);

    /// <summary>Remoting and cluster membership (akkachat.cluster), handed to Akka.Remote/Cluster.Hosting.</summary>
    public required Hosting.ClusterSettings Cluster { get; init; }

    /// <summary>What every shard region runs with (akkachat.sharding), handed to Akka.Cluster.Hosting.</summary>
    public required Hosting.ShardingSettings Sharding { get; init; }

    /// <summary>The part of the settings that may change while the node runs.</summary>
    public required RuntimeSettings Runtime { get; init; }

    public static AkkaChatSettings Create(Config config)
    {
        var c = config.GetConfig("akkachat") ?? throw new ConfigurationException("missing 'akkachat' section");
        var host = c.GetString("listen.host");
        var port = Positive(c, "listen.port");
        var name = c.GetString("node-name");
        var storage = c.GetString("storage.provider")?.ToLowerInvariant() switch
        {
            "sqlite" => StorageProvider.Sqlite,
            "postgresql" => StorageProvider.PostgreSql,
            var other => throw new ConfigurationException($"akkachat.storage.provider: '{other}' is not sqlite or postgresql"),
        };
        var connectionString = c.GetString("storage.connection-string") ?? string.Empty;
        if (storage == StorageProvider.PostgreSql && string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ConfigurationException("akkachat.storage.connection-string is required when provider = postgresql");
        }

        return new AkkaChatSettings
        {
            NodeName = string.IsNullOrWhiteSpace(name) ? DefaultNodeName(host, port) : name,
            ListenHost = string.IsNullOrWhiteSpace(host) ? throw new ConfigurationException("akkachat.listen.host is empty") : host,
            ListenPort = port,
            Backlog = Positive(c, "listen.backlog"),
            AcceptRetryDelay = PositiveTime(c, "listen.accept-retry-delay"),
            DataDir = c.GetString("storage.data-dir") is { Length: > 0 } dir ? dir : throw new ConfigurationException("akkachat.storage.data-dir is empty"),
            Storage = storage,
            StorageConnectionString = connectionString,
            Journal = JournalSettings.Create(c),
            RevealCodes = Read(c, "auth.reveal-codes", static (section, path) => section.GetBoolean(path)),
            CodeTtl = PositiveTime(c, "auth.code-ttl"),
            CodeMaxTries = Positive(c, "auth.code-max-tries"),
            MaxDeviceTokens = Positive(c, "auth.max-device-tokens"),
            CodeRequests = new AkkaChat.Node.Registration.CodeRequestLimits(
                Positive(c, "registration.code-requests-per-phone-burst"),
                PositiveTime(c, "registration.code-requests-per-phone-interval"),
                Positive(c, "registration.code-requests-per-address-burst"),
                PositiveTime(c, "registration.code-requests-per-address-interval")),
            Connection = new ConnectionSettings(
                PositiveTime(c, "connection.auth-timeout"),
                PositiveTime(c, "connection.close-timeout"),
                PositiveTime(c, "connection.resume-backoff-min"),
                PositiveTime(c, "connection.resume-backoff-max"),
                PositiveTime(c, "connection.resume-give-up-after"),
                Positive(c, "delivery.window"),
                PositiveTime(c, "connection.send-answer-timeout"),
                PositiveTime(c, "connection.login-timeout")),
            Transport = AkkaChat.Node.Transport.TransportSettings.Create(c),
            ReceiveWindowFrames = Positive(c, "connection.receive-window-frames"),
            MaxBodyBytes = Positive(c, "limits.max-body-bytes"),
            MaxClientMsgIdLength = Positive(c, "limits.max-client-msg-id-length"),
            DeliveryWindow = Positive(c, "delivery.window"),
            DedupWindow = Positive(c, "delivery.dedup-window"),
            SnapshotAfter = Positive(c, "delivery.snapshot-after"),
            ReceiptConfirmationDelay = NotNegativeTime(c, "delivery.receipt-confirmation-delay"),
            MaxConfirmationBatch = Positive(c, "delivery.max-confirmation-batch"),
            OutboxResendInterval = PositiveTime(c, "delivery.outbox-resend-interval"),
            PassivateAfter = PositiveTime(c, "users.passivate-after"),
            PassivateLoggedIn = c.GetBoolean("users.passivate-logged-in", false),
            StatusReadRetry = PositiveTime(c, "users.status-read-retry"),
            RetentionMaxAge = PositiveTime(c, "retention.max-age"),
            ConfigReloadInterval = Read(c, "config-reload.interval", static (section, path) => section.GetTimeSpan(path, null, allowInfinite: false)),
            SupervisorMaxRestarts = Positive(c, "supervision.max-restarts"),
            SupervisorRestartWindow = PositiveTime(c, "supervision.restart-window"),
            MetricsSampleInterval = PositiveTime(c, "metrics.sample-interval"),
            ShutdownDrainTimeout = DrainTimeout(config, c),
            Cluster = Hosting.ClusterSettings.Create(config),
            Sharding = Hosting.ShardingSettings.Create(config),
            Runtime = RuntimeSettings.Create(config),
        };
    }

    /// <summary>
    /// akkachat.shutdown.drain-timeout, which runs inside coordinated shutdown's service-unbind
    /// phase: a wait as long as the phase would be cut off by it, so it must be shorter.
    /// </summary>
    private static TimeSpan DrainTimeout(Config config, Config c)
    {
        var drain = PositiveTime(c, "shutdown.drain-timeout");
        var phase = config.GetTimeSpan("akka.coordinated-shutdown.phases.service-unbind.timeout", null, allowInfinite: false);
        return phase == TimeSpan.Zero || drain < phase
            ? drain
            : throw new ConfigurationException($"akkachat.shutdown.drain-timeout ({drain}) must be below akka.coordinated-shutdown.phases.service-unbind.timeout ({phase})");
    }

    /// <summary>"host:port", with the machine name standing in for a wildcard listen address.</summary>
    private static string DefaultNodeName(string host, int port) =>
        host is "0.0.0.0" or "::" or "" ? $"{Environment.MachineName}:{port}" : $"{host}:{port}";

    internal static int Positive(Config c, string key)
    {
        var value = Read(c, key, static (section, path) => section.GetInt(path));
        return value > 0 ? value : throw new ConfigurationException($"akkachat.{key} must be positive, is {value}");
    }

    internal static TimeSpan NotNegativeTime(Config c, string key)
    {
        var value = Read(c, key, static (section, path) => section.GetTimeSpan(path, null, allowInfinite: false));
        return value >= TimeSpan.Zero ? value : throw new ConfigurationException($"akkachat.{key} must not be negative, is {value}");
    }

    internal static TimeSpan PositiveTime(Config c, string key)
    {
        var value = Read(c, key, static (section, path) => section.GetTimeSpan(path, null, allowInfinite: false));
        return value > TimeSpan.Zero ? value : throw new ConfigurationException($"akkachat.{key} must be positive, is {value}");
    }

    /// <summary>
    /// Reads akkachat.<paramref name="key"/>. HOCON reports a value of the wrong type (a word where a
    /// number belongs, "-1s") without naming the key, and not always as a ConfigurationException.
    /// </summary>
    internal static T Read<T>(Config c, string key, Func<Config, string, T> read)
    {
        try
        {
            return read(c, key);
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or OverflowException)
        {
            throw new ConfigurationException($"akkachat.{key}: {e.Message}", e);
        }
    }
}

/// <summary>
/// What a <see cref="Connections.ConnectionActor"/> needs besides the hot-reloadable settings:
/// how long a login may wait for the user actor, how long a connection may stay open without
/// logging in, how long closing may take to flush, and how a
/// session whose user actor stopped asks to be attached again (backoff, and when it gives up).
/// <see cref="DeliveryWindow"/> (<c>akkachat.delivery.window</c>) sets how often the session reports
/// the items its socket took: every half window.
/// </summary>
public sealed record ConnectionSettings(
    TimeSpan AuthTimeout,
    TimeSpan CloseTimeout,
    TimeSpan ResumeBackoffMin,
    TimeSpan ResumeBackoffMax,
    TimeSpan ResumeGiveUpAfter,
    int DeliveryWindow = 256,
    TimeSpan? SendAnswerTimeout = null,
    TimeSpan? LoginTimeout = null)
{
    /// <summary>How long a SEND may wait for its answer (akkachat.connection.send-answer-timeout, 20 s).</summary>
    public TimeSpan SendAnswerTimeoutOrDefault => SendAnswerTimeout ?? TimeSpan.FromSeconds(20);

    /// <summary>How long a connection may stay open without logging in (akkachat.connection.login-timeout, 10 min).</summary>
    public TimeSpan LoginTimeoutOrDefault => LoginTimeout ?? TimeSpan.FromMinutes(10);
}

public enum StorageProvider
{
    Sqlite,
    PostgreSql,
}

/// <summary>
/// The hot-reloadable settings: re-read from the --config file while the node runs
/// (see <see cref="RuntimeSettingsSource"/>). Every other setting needs a restart.
/// </summary>
public sealed record RuntimeSettings(
    TimeSpan IdleTimeout,
    int MaxConnections,
    double SendPerSecond,
    int SendBurst)
{
    public static RuntimeSettings Create(Config config)
    {
        var c = config.GetConfig("akkachat");
        var perSecond = AkkaChatSettings.Read(c, "rate-limit.send-per-second", static (section, path) => section.GetDouble(path));
        return new RuntimeSettings(
            AkkaChatSettings.PositiveTime(c, "connection.idle-timeout"),
            AkkaChatSettings.Positive(c, "connection.max-connections"),
            perSecond > 0 ? perSecond : throw new ConfigurationException($"akkachat.rate-limit.send-per-second must be positive, is {perSecond}"),
            AkkaChatSettings.Positive(c, "rate-limit.send-burst"));
    }
}
