using Akka.Configuration;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Hosting;

namespace AkkaChat.Node.Tests.Configuration;

/// <summary>The defaults are those of hocon/akkachat.conf, embedded as the node's reference.conf.</summary>
public sealed class AkkaChatSettingsTests
{
    private static readonly AkkaChatSettings Defaults = AkkaChatSettings.Create(NodeConfig.Load(null, []));

    [Fact]
    public void The_listener_defaults_to_every_address_on_port_4700()
    {
        Assert.Equal("0.0.0.0", Defaults.ListenHost);
        Assert.Equal(4700, Defaults.ListenPort);
        Assert.Equal(1024, Defaults.Backlog);
        Assert.Equal($"{Environment.MachineName}:4700", Defaults.NodeName);
    }

    [Fact]
    public void Storage_defaults_to_sqlite_in_the_data_directory()
    {
        Assert.Equal(StorageProvider.Sqlite, Defaults.Storage);
        Assert.Equal("./data", Defaults.DataDir);
        Assert.Equal(string.Empty, Defaults.StorageConnectionString);
        Assert.Equal(Path.Combine(Path.GetFullPath("./data"), "akkachat.db"), NodeConfig.SqliteFile(Defaults));
    }

    [Fact]
    public void Registration_codes_default_to_hidden_ten_minutes_and_five_tries()
    {
        Assert.False(Defaults.RevealCodes);
        Assert.Equal(TimeSpan.FromMinutes(10), Defaults.CodeTtl);
        Assert.Equal(5, Defaults.CodeMaxTries);
    }

    [Fact]
    public void The_shutdown_drain_timeout_defaults_to_nine_seconds_and_must_fit_its_shutdown_phase()
    {
        Assert.Equal(TimeSpan.FromSeconds(9), Defaults.ShutdownDrainTimeout);
        Assert.Equal(TimeSpan.FromSeconds(4), AkkaChatSettings.Create(NodeConfig.Load(null, ["akkachat.shutdown.drain-timeout = 4s"])).ShutdownDrainTimeout);
        var tooLong = Assert.Throws<ConfigurationException>(() => AkkaChatSettings.Create(NodeConfig.Load(null, ["akkachat.shutdown.drain-timeout = 10s"])));
        Assert.Contains("akkachat.shutdown.drain-timeout", tooLong.Message);
    }

    [Fact]
    public void The_accept_retry_delay_defaults_to_half_a_second_and_must_be_positive()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(500), Defaults.AcceptRetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(2), AkkaChatSettings.Create(NodeConfig.Load(null, ["akkachat.listen.accept-retry-delay = 2s"])).AcceptRetryDelay);
        var zero = Assert.Throws<ConfigurationException>(() => AkkaChatSettings.Create(NodeConfig.Load(null, ["akkachat.listen.accept-retry-delay = 0s"])));
        Assert.Contains("akkachat.listen.accept-retry-delay", zero.Message);
    }

    [Fact]
    public void The_status_read_retry_defaults_to_one_second_and_must_be_positive()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), Defaults.StatusReadRetry);
        Assert.Equal(TimeSpan.FromMilliseconds(250), AkkaChatSettings.Create(NodeConfig.Load(null, ["akkachat.users.status-read-retry = 250ms"])).StatusReadRetry);
        var zero = Assert.Throws<ConfigurationException>(() => AkkaChatSettings.Create(NodeConfig.Load(null, ["akkachat.users.status-read-retry = 0s"])));
        Assert.Contains("akkachat.users.status-read-retry", zero.Message);
    }

    [Fact]
    public void The_web_ports_waits_default_to_ten_and_three_seconds_and_must_be_positive()
    {
        var web = AkkaChat.Node.Web.WebSettings.Create(NodeConfig.Load(null, []), Defaults);
        Assert.Equal(TimeSpan.FromSeconds(10), web.AskTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), web.ReadinessDatabaseTimeout);
        var set = AkkaChat.Node.Web.WebSettings.Create(NodeConfig.Load(null, ["akkachat.web.ask-timeout = 4s", "akkachat.web.readiness-database-timeout = 1s"]), Defaults);
        Assert.Equal(TimeSpan.FromSeconds(4), set.AskTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), set.ReadinessDatabaseTimeout);
        foreach (var key in new[] { "akkachat.web.ask-timeout", "akkachat.web.readiness-database-timeout" })
        {
            var zero = Assert.Throws<ConfigurationException>(() => AkkaChat.Node.Web.WebSettings.Create(NodeConfig.Load(null, [$"{key} = 0s"]), Defaults));
            Assert.Contains(key, zero.Message);
        }
    }

    [Fact]
    public void The_management_waits_default_to_five_and_three_seconds_and_must_be_positive()
    {
        var management = AkkaChat.Node.Management.ManagementSettings.Create(NodeConfig.Load(null, []));
        Assert.Equal(TimeSpan.FromSeconds(5), management.AskTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), management.PeerAskTimeout);
        var set = AkkaChat.Node.Management.ManagementSettings.Create(NodeConfig.Load(null, ["akkachat.management.ask-timeout = 8s", "akkachat.management.peer-ask-timeout = 6s"]));
        Assert.Equal(TimeSpan.FromSeconds(8), set.AskTimeout);
        Assert.Equal(TimeSpan.FromSeconds(6), set.PeerAskTimeout);
        foreach (var key in new[] { "akkachat.management.ask-timeout", "akkachat.management.peer-ask-timeout" })
        {
            var zero = Assert.Throws<ConfigurationException>(() => AkkaChat.Node.Management.ManagementSettings.Create(NodeConfig.Load(null, [$"{key} = 0s"])));
            Assert.Contains(key, zero.Message);
        }
    }

    [Fact]
    public void The_metrics_sample_interval_defaults_to_five_seconds_and_must_be_positive()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), Defaults.MetricsSampleInterval);
        Assert.Equal(TimeSpan.FromSeconds(15), AkkaChatSettings.Create(NodeConfig.Load(null, ["akkachat.metrics.sample-interval = 15s"])).MetricsSampleInterval);
        var zero = Assert.Throws<ConfigurationException>(() => AkkaChatSettings.Create(NodeConfig.Load(null, ["akkachat.metrics.sample-interval = 0s"])));
        Assert.Contains("akkachat.metrics.sample-interval", zero.Message);
    }

    [Fact]
    public void Options_that_were_constants_default_to_their_former_values()
    {
        Assert.Equal(8, Defaults.MaxDeviceTokens);
        Assert.Equal(new ConnectionSettings(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(2), 256, TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(10)), Defaults.Connection);
        Assert.Equal(256, Defaults.MaxConfirmationBatch);
        Assert.Equal(TimeSpan.FromSeconds(5), Defaults.OutboxResendInterval);
        Assert.Equal(10, Defaults.SupervisorMaxRestarts);
        Assert.Equal(TimeSpan.FromMinutes(1), Defaults.SupervisorRestartWindow);
    }

    [Fact]
    public void The_user_directory_caches_100000_users_by_default()
    {
        Assert.Equal(new AkkaChat.Node.UserDirectory.DirectorySettings(100_000), AkkaChat.Node.UserDirectory.DirectorySettings.Create(NodeConfig.Load(null, [])));
    }

    [Theory]
    [InlineData("akkachat.connection.auth-timeout = 0s", "akkachat.connection.auth-timeout")]
    [InlineData("akkachat.auth.max-device-tokens = 0", "akkachat.auth.max-device-tokens")]
    [InlineData("akkachat.delivery.outbox-resend-interval = 0s", "akkachat.delivery.outbox-resend-interval")]
    [InlineData("akkachat.supervision.max-restarts = -1", "akkachat.supervision.max-restarts")]
    public void A_bad_value_of_a_former_constant_is_refused_naming_its_key(string line, string key)
    {
        var error = Assert.Throws<ConfigurationException>(() => AkkaChatSettings.Create(NodeConfig.Load(null, [line])));
        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void A_directory_cache_of_no_entries_is_refused_naming_its_key()
    {
        var error = Assert.Throws<ConfigurationException>(() => AkkaChat.Node.UserDirectory.DirectorySettings.Create(NodeConfig.Load(null, ["akkachat.directory.cache-size = 0"])));
        Assert.Contains("akkachat.directory.cache-size", error.Message);
    }

    [Fact]
    public void Connections_default_to_a_five_minute_idle_timeout_and_at_most_15000_at_once()
    {
        Assert.Equal(256 * 1024, Defaults.Transport.SendBufferBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), Defaults.Transport.SlowReaderTimeout);
        Assert.Equal(16, Defaults.ReceiveWindowFrames);
        Assert.Equal(TimeSpan.FromMinutes(5), Defaults.Runtime.IdleTimeout);
        Assert.Equal(15_000, Defaults.Runtime.MaxConnections);
    }

    [Fact]
    public void Sends_default_to_64000_byte_bodies_and_100_per_second_in_bursts_of_500()
    {
        Assert.Equal(64_000, Defaults.MaxBodyBytes);
        Assert.Equal(64, Defaults.MaxClientMsgIdLength);
        Assert.Equal(100.0, Defaults.Runtime.SendPerSecond);
        Assert.Equal(500, Defaults.Runtime.SendBurst);
    }

    [Fact]
    public void Queues_default_to_a_window_of_256_a_snapshot_every_200_events_and_30_days_retention()
    {
        Assert.Equal(256, Defaults.DeliveryWindow);
        Assert.Equal(4096, Defaults.DedupWindow);
        Assert.Equal(200, Defaults.SnapshotAfter);
        Assert.Equal(TimeSpan.FromSeconds(5), Defaults.ReceiptConfirmationDelay);
        Assert.Equal(TimeSpan.FromMinutes(2), Defaults.PassivateAfter);
        Assert.Equal(TimeSpan.FromDays(30), Defaults.RetentionMaxAge);
        Assert.Equal(TimeSpan.FromSeconds(2), Defaults.ConfigReloadInterval);
    }

    [Fact]
    public void The_hot_reloadable_part_is_the_same_when_built_on_its_own()
    {
        Assert.Equal(Defaults.Runtime, RuntimeSettings.Create(NodeConfig.Load(null, [])));
    }

    [Fact]
    public void An_override_line_replaces_only_its_key()
    {
        var settings = AkkaChatSettings.Create(NodeConfig.Load(null, ["akkachat.listen.port = 5000"]));

        Assert.Equal(5000, settings.ListenPort);
        Assert.Equal($"{Environment.MachineName}:5000", settings.NodeName);
        Assert.Equal(Defaults with { ListenPort = 5000, NodeName = settings.NodeName }, settings);
    }

    [Fact]
    public void A_later_override_wins_over_an_earlier_one()
    {
        // As on the command line: --port 5000 --set akkachat.listen.port=6000 listens on 6000.
        var settings = AkkaChatSettings.Create(NodeConfig.Load(null, ["akkachat.listen.port = 5000", "akkachat.listen.port = 6000"]));

        Assert.Equal(6000, settings.ListenPort);
    }

    [Fact]
    public void Overrides_win_over_the_config_file()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "akkachat { listen.port = 5000, node-name = \"from-file\", rate-limit.send-burst = 7 }");

            var settings = AkkaChatSettings.Create(NodeConfig.Load(file, ["akkachat.listen.port = 6000"]));

            Assert.Equal(6000, settings.ListenPort);
            Assert.Equal("from-file", settings.NodeName);
            Assert.Equal(7, settings.Runtime.SendBurst);
            Assert.Equal(Defaults.Runtime.SendPerSecond, settings.Runtime.SendPerSecond);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_missing_config_file_is_refused()
    {
        var missing = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".conf");

        var error = Assert.Throws<ConfigurationException>(() => NodeConfig.Load(missing, []));

        Assert.Contains(missing, error.Message);
    }

    [Theory]
    [InlineData("akkachat.listen.port = 0", "akkachat.listen.port")]
    [InlineData("akkachat.listen.backlog = -5", "akkachat.listen.backlog")]
    [InlineData("akkachat.delivery.window = -1", "akkachat.delivery.window")]
    [InlineData("akkachat.delivery.dedup-window = 0", "akkachat.delivery.dedup-window")]
    [InlineData("akkachat.delivery.snapshot-after = 0", "akkachat.delivery.snapshot-after")]
    [InlineData("akkachat.delivery.receipt-confirmation-delay = -1s", "akkachat.delivery.receipt-confirmation-delay")]
    [InlineData("akkachat.auth.code-ttl = 0s", "akkachat.auth.code-ttl")]
    [InlineData("akkachat.users.passivate-after = 0s", "akkachat.users.passivate-after")]
    [InlineData("akkachat.retention.max-age = -1d", "akkachat.retention.max-age")]
    [InlineData("akkachat.connection.idle-timeout = 0s", "akkachat.connection.idle-timeout")]
    [InlineData("akkachat.connection.max-connections = 0", "akkachat.connection.max-connections")]
    [InlineData("akkachat.rate-limit.send-per-second = 0", "akkachat.rate-limit.send-per-second")]
    [InlineData("akkachat.rate-limit.send-burst = -3", "akkachat.rate-limit.send-burst")]
    [InlineData("akkachat.storage.provider = mysql", "akkachat.storage.provider")]
    [InlineData("akkachat.storage.provider = postgresql", "akkachat.storage.connection-string")]
    [InlineData("akkachat.storage.data-dir = \"\"", "akkachat.storage.data-dir")]
    [InlineData("akkachat.listen.host = \"\"", "akkachat.listen.host")]
    public void An_invalid_value_is_refused_naming_its_key(string line, string key)
    {
        var config = NodeConfig.Load(null, [line]);

        var error = Assert.Throws<ConfigurationException>(() => AkkaChatSettings.Create(config));

        Assert.Contains(key, error.Message);
    }

    [Theory]
    [InlineData("akkachat.listen.port = abc", "akkachat.listen.port")]
    [InlineData("akkachat.limits.max-body-bytes = 4.5", "akkachat.limits.max-body-bytes")]
    [InlineData("akkachat.auth.code-ttl = soon", "akkachat.auth.code-ttl")]
    [InlineData("akkachat.auth.reveal-codes = maybe", "akkachat.auth.reveal-codes")]
    [InlineData("akkachat.rate-limit.send-per-second = fast", "akkachat.rate-limit.send-per-second")]
    [InlineData("akkachat.config-reload.interval = -1s", "akkachat.config-reload.interval")]
    public void A_value_of_the_wrong_type_is_refused_naming_its_key(string line, string key)
    {
        var config = NodeConfig.Load(null, [line]);

        var error = Assert.Throws<ConfigurationException>(() => AkkaChatSettings.Create(config));

        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void A_zero_reload_interval_is_accepted_and_disables_reloading()
    {
        var settings = AkkaChatSettings.Create(NodeConfig.Load(null, ["akkachat.config-reload.interval = 0s"]));

        Assert.Equal(TimeSpan.Zero, settings.ConfigReloadInterval);
    }

    [Fact]
    public void Postgresql_with_a_connection_string_is_accepted()
    {
        var settings = AkkaChatSettings.Create(NodeConfig.Load(null,
        [
            "akkachat.storage.provider = PostgreSQL",
            "akkachat.storage.connection-string = \"Host=127.0.0.1;Database=akkachat\"",
        ]));

        Assert.Equal(StorageProvider.PostgreSql, settings.Storage);
        Assert.Equal("Host=127.0.0.1;Database=akkachat", settings.StorageConnectionString);
    }

    [Fact]
    public void A_named_node_keeps_its_name()
    {
        var settings = AkkaChatSettings.Create(NodeConfig.Load(null, ["akkachat.node-name = \"node-a\"", "akkachat.listen.host = \"127.0.0.1\""]));
        var unnamed = AkkaChatSettings.Create(NodeConfig.Load(null, ["akkachat.listen.host = \"127.0.0.1\""]));

        Assert.Equal("node-a", settings.NodeName);
        Assert.Equal("127.0.0.1:4700", unnamed.NodeName);
    }
}
