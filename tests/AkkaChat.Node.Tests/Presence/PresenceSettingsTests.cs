using Akka.Configuration;
using AkkaChat.Node.Contacts;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Presence;
using AkkaChat.Node.Statuses;

namespace AkkaChat.Node.Tests.Presence;

public sealed class PresenceSettingsTests
{
    [Fact]
    public void The_defaults_are_those_documented_in_akkachat_conf()
    {
        var config = NodeConfig.Load(null, []);

        Assert.Equal(new PresenceSettings(TimeSpan.FromHours(24), 100_000), PresenceSettings.Create(config));
        Assert.Equal(5000, ContactsSettings.Create(config).MaxSync);
        Assert.Equal(new StatusSettings(TimeSpan.FromHours(24), 10_000, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10)), StatusSettings.Create(config));
    }

    [Fact]
    public void A_max_sync_of_zero_is_refused_naming_the_key()
    {
        var config = NodeConfig.Load(null, ["akkachat.contacts.max-sync = 0"]);

        var error = Assert.Throws<ConfigurationException>(() => ContactsSettings.Create(config));
        Assert.Contains("contacts.max-sync", error.Message);
    }
}
