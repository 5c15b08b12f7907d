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

    // ---- the modules' settings records, each built from its own sections ----

    /// <summary>The registration module's settings (akkachat.auth, akkachat.registration).</summary>
    public required global::AkkaChat.Node.Registration.RegistrationSettings Registration { get; init; }

    /// <summary>The inbox module's settings (akkachat.delivery, akkachat.retention, akkachat.limits).</summary>
    public required global::AkkaChat.Node.Inbox.InboxSettings Inbox { get; init; }

    /// <summary>The user actor's own settings (akkachat.users).</summary>
    public required global::AkkaChat.Node.Users.UserSettings Users { get; init; }

    // ---- the modules' values, read (and, with `with`, set) through the record that owns them ----

    public bool RevealCodes { get => Registration.RevealCodes; init => Registration = Registration with { RevealCodes = value }; }
    public TimeSpan CodeTtl { get => Registration.CodeTtl; init => Registration = Registration with { CodeTtl = value }; }
    public int CodeMaxTries { get => Registration.CodeMaxTries; init => Registration = Registration with { CodeMaxTries = value }; }
    public int MaxDeviceTokens { get => Registration.MaxDeviceTokens; init => Registration = Registration with { MaxDeviceTokens = value }; }
    public AkkaChat.Node.Registration.CodeRequestLimits CodeRequests { get => Registration.CodeRequests; init => Registration = Registration with { CodeRequests = value }; }

    public int MaxBodyBytes { get => Inbox.MaxBodyBytes; init => Inbox = Inbox with { MaxBodyBytes = value }; }
    public int MaxClientMsgIdLength { get => Inbox.MaxClientMsgIdLength; init => Inbox = Inbox with { MaxClientMsgIdLength = value }; }
    public int DeliveryWindow { get => Inbox.DeliveryWindow; init => Inbox = Inbox with { DeliveryWindow = value }; }
    public int DedupWindow { get => Inbox.DedupWindow; init => Inbox = Inbox with { DedupWindow = value }; }
    public int SnapshotAfter { get => Inbox.SnapshotAfter; init => Inbox = Inbox with { SnapshotAfter = value }; }
    public TimeSpan ReceiptConfirmationDelay { get => Inbox.ReceiptConfirmationDelay; init => Inbox = Inbox with { ReceiptConfirmationDelay = value }; }
    public int MaxConfirmationBatch { get => Inbox.MaxConfirmationBatch; init => Inbox = Inbox with { MaxConfirmationBatch = value }; }
    public TimeSpan OutboxResendInterval { get => Inbox.OutboxResendInterval; init => Inbox = Inbox with { OutboxResendInterval = value }; }
    public TimeSpan RetentionMaxAge { get => Inbox.RetentionMaxAge; init => Inbox = Inbox with { RetentionMaxAge = value }; }

    public TimeSpan PassivateAfter { get => Users.PassivateAfter; init => Users = Users with { PassivateAfter = value }; }
    public bool PassivateLoggedIn { get => Users.PassivateLoggedIn; init => Users = Users with { PassivateLoggedIn = value }; }
    public TimeSpan StatusReadRetry { get => Users.StatusReadRetry; init => Users = Users with { StatusReadRetry = value }; }

    /// <summary>The connection actor's own settings (akkachat.connection).</summary>
    public required ConnectionSettings Connection { get; init; }

    public required AkkaChat.Node.Transport.TransportSettings Transport { get; init; }
    public required int ReceiveWindowFrames { get; init; }

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
            Registration = global::AkkaChat.Node.Registration.RegistrationSettings.FromSection(c),
            Inbox = global::AkkaChat.Node.Inbox.InboxSettings.FromSection(c),
            Users = global::AkkaChat.Node.Users.UserSettings.FromSection(c),
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
