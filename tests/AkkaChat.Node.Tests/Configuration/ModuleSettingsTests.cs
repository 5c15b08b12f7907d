using Akka.Configuration;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Inbox;
using AkkaChat.Node.Registration;
using AkkaChat.Node.Users;

namespace AkkaChat.Node.Tests.Configuration;

/// <summary>Each module's settings record is built from its own HOCON sections, and the node's settings compose them.</summary>
public sealed class ModuleSettingsTests
{
    private static Config Load(params string[] overrides) => NodeConfig.Load(null, overrides);

    [Fact]
    public void The_registration_record_reads_akkachat_auth_and_akkachat_registration_with_their_documented_defaults()
    {
        var defaults = RegistrationSettings.Create(Load());
        Assert.Equal(new RegistrationSettings(false, TimeSpan.FromMinutes(10), 5, 8, new CodeRequestLimits(3, TimeSpan.FromMinutes(2), 20, TimeSpan.FromSeconds(10))), defaults);

        var set = RegistrationSettings.Create(Load("akkachat.auth.code-max-tries = 2", "akkachat.registration.code-requests-per-phone-burst = 7"));
        Assert.Equal(2, set.CodeMaxTries);
        Assert.Equal(7, set.CodeRequests.PerPhoneBurst);
    }

    [Fact]
    public void The_inbox_record_reads_akkachat_delivery_retention_and_limits_with_their_documented_defaults()
    {
        var defaults = InboxSettings.Create(Load());
        Assert.Equal(256, defaults.DeliveryWindow);
        Assert.Equal(4096, defaults.DedupWindow);
        Assert.Equal(200, defaults.SnapshotAfter);
        Assert.Equal(TimeSpan.FromSeconds(5), defaults.ReceiptConfirmationDelay);
        Assert.Equal(256, defaults.MaxConfirmationBatch);
        Assert.Equal(TimeSpan.FromSeconds(5), defaults.OutboxResendInterval);
        Assert.Equal(TimeSpan.FromDays(30), defaults.RetentionMaxAge);

        Assert.Equal(TimeSpan.Zero, InboxSettings.Create(Load("akkachat.delivery.receipt-confirmation-delay = 0s")).ReceiptConfirmationDelay);
        var bad = Assert.Throws<ConfigurationException>(() => InboxSettings.Create(Load("akkachat.delivery.window = 0")));
        Assert.Contains("akkachat.delivery.window", bad.Message);
    }

    [Fact]
    public void The_user_record_reads_akkachat_users_with_its_documented_defaults()
    {
        Assert.Equal(new UserSettings(TimeSpan.FromMinutes(2), false, TimeSpan.FromSeconds(1)), UserSettings.Create(Load()));
        Assert.True(UserSettings.Create(Load("akkachat.users.passivate-logged-in = on")).PassivateLoggedIn);
    }

    [Fact]
    public void The_directory_backfill_defaults_to_a_hundred_users_a_second_0_turns_it_off_and_a_negative_rate_is_refused()
    {
        Assert.Equal(100, AkkaChat.Node.UserDirectory.DirectorySettings.Create(Load()).BackfillPerSecond);
        Assert.Equal(0, AkkaChat.Node.UserDirectory.DirectorySettings.Create(Load("akkachat.directory.backfill-per-second = 0")).BackfillPerSecond);
        var bad = Assert.Throws<ConfigurationException>(() => AkkaChat.Node.UserDirectory.DirectorySettings.Create(Load("akkachat.directory.backfill-per-second = -1")));
        Assert.Contains("akkachat.directory.backfill-per-second", bad.Message);
    }

    [Fact]
    public void A_config_file_setting_one_key_of_a_section_keeps_the_defaults_of_the_others()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "akkachat.auth.reveal-codes = on\nakkachat.delivery.window = 32\n");
            var settings = AkkaChatSettings.Create(NodeConfig.Load(file, ["akkachat.users.passivate-logged-in = on"]));

            Assert.Equal((true, TimeSpan.FromMinutes(10)), (settings.Registration.RevealCodes, settings.Registration.CodeTtl));
            Assert.Equal((32, 4096), (settings.Inbox.DeliveryWindow, settings.Inbox.DedupWindow));
            Assert.Equal((true, TimeSpan.FromMinutes(2)), (settings.Users.PassivateLoggedIn, settings.Users.PassivateAfter));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void The_node_settings_compose_the_module_records_and_read_their_values_through_them()
    {
        var config = Load("akkachat.delivery.window = 64", "akkachat.auth.code-ttl = 1m", "akkachat.users.passivate-after = 7s");
        var settings = AkkaChatSettings.Create(config);

        Assert.Equal(RegistrationSettings.Create(config), settings.Registration);
        Assert.Equal(InboxSettings.Create(config), settings.Inbox);
        Assert.Equal(UserSettings.Create(config), settings.Users);
        Assert.Equal((64, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(7)), (settings.DeliveryWindow, settings.CodeTtl, settings.PassivateAfter));
    }

    [Fact]
    public void Setting_a_value_on_the_node_settings_sets_it_in_the_module_record_that_owns_it()
    {
        var settings = AkkaChatSettings.Create(Load());

        var changed = settings with { SnapshotAfter = 1, PassivateLoggedIn = true, MaxDeviceTokens = 2 };

        Assert.Equal(settings.Inbox with { SnapshotAfter = 1 }, changed.Inbox);
        Assert.Equal(settings.Users with { PassivateLoggedIn = true }, changed.Users);
        Assert.Equal(settings.Registration with { MaxDeviceTokens = 2 }, changed.Registration);
        Assert.Equal(200, settings.SnapshotAfter); // the original is untouched
    }
}
