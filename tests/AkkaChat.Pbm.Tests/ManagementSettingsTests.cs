using Akka.Configuration;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Management;

namespace AkkaChat.Pbm.Tests;

public class ManagementSettingsTests
{
    private static ManagementSettings Create(string hocon) =>
        ManagementSettings.Create(ConfigurationFactory.ParseString(hocon).WithFallback(NodeConfig.ReferenceConfig));

    [Fact]
    public void The_defaults_listen_on_loopback_port_9110_without_a_token()
    {
        var settings = Create(string.Empty);
        Assert.Equal(new ManagementSettings(true, "127.0.0.1", 9110, null, 1000, 10_000), settings);
    }

    [Fact]
    public void A_host_that_is_not_loopback_is_refused_without_a_token_file()
    {
        var e = Assert.Throws<ConfigurationException>(() => Create("akkachat.management.host = \"0.0.0.0\""));
        Assert.Contains("akkachat.management.host = 0.0.0.0 is not a loopback address: set akkachat.management.token-file", e.Message);
    }

    [Fact]
    public void A_host_that_is_not_loopback_starts_with_a_token_file()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "  0123456789abcdef0123  \n");
        var settings = Create($"akkachat.management {{ host = \"0.0.0.0\", token-file = \"{file}\" }}");
        Assert.Equal("0123456789abcdef0123", settings.Token);
        File.Delete(file);
    }

    [Fact]
    public void A_short_token_a_missing_token_file_and_a_bad_port_are_refused()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "short");
        Assert.Contains("at least 16 characters", Assert.Throws<ConfigurationException>(() => Create($"akkachat.management.token-file = \"{file}\"")).Message);
        Assert.Contains("does not exist", Assert.Throws<ConfigurationException>(() => Create("akkachat.management.token-file = \"/nonexistent/token\"")).Message);
        Assert.Contains("must be 0..65535", Assert.Throws<ConfigurationException>(() => Create("akkachat.management.port = 70000")).Message);
        File.Delete(file);
    }
}

public class RuntimeSettingsHoconTests
{
    [Fact]
    public void Hot_settings_survive_rendering_and_parsing()
    {
        var settings = new RuntimeSettings(TimeSpan.FromSeconds(42.5), 1234, 7.25, 99);
        Assert.Equal(settings, RuntimeSettingsHocon.Parse(RuntimeSettingsHocon.Render(settings)));
    }

    [Fact]
    public void Hot_settings_that_fail_validation_are_refused_naming_the_key()
    {
        var e = Assert.Throws<ConfigurationException>(() => RuntimeSettingsHocon.Parse("akkachat.rate-limit.send-burst = -5"));
        Assert.Equal("akkachat.rate-limit.send-burst must be positive, is -5", e.Message);
    }
}

public class ManagementSerializerTests
{
    [Fact]
    public void Every_management_message_round_trips_through_its_manifest()
    {
        using var system = Akka.Actor.ActorSystem.Create("serializer-test");
        var serializer = new ManagementSerializer((Akka.Actor.ExtendedActorSystem)system);
        IManagementMessage[] messages =
        [
            new RuntimeSettingsPublished("node-1", "akkachat.rate-limit.send-burst = 9"),
            RuntimeSettingsQuery.Instance,
            new RuntimeSettingsReport("node-2", "x = 1"),
            new TraceQuery("0193"),
            new KickRequest("+15550001"),
            new SessionsRequest("+15550002"),
            new UserStatusRequest("+15550003"),
            new UserStatusReport("node-3", true, true, "akka.tcp://akkachat@127.0.0.1:4712/user/node/connections/c-3", 1700000000123, 4, 2, 1700000000999),
            new UserStatusReport("node-1", false, false, "", 0, 0, 0, 0),
        ];
        foreach (var message in messages)
        {
            Assert.Equal(message, serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message)));
        }

        var hops = new TraceHops([new TraceHop("0193", 1700000000123, "node-1", "/user/node/connections/c-1", "SEND_ACK written to the sender")]);
        var back = (TraceHops)serializer.FromBinary(serializer.ToBinary(hops), serializer.Manifest(hops));
        Assert.Equal(hops.Hops, back.Hops);

        var sessions = new SessionsReport("node-2", ["akka.tcp://akkachat@127.0.0.1:4712/user/node/connections/c-3 from 127.0.0.1:56858", "second"]);
        var sessionsBack = (SessionsReport)serializer.FromBinary(serializer.ToBinary(sessions), serializer.Manifest(sessions));
        Assert.Equal(sessions.Node, sessionsBack.Node);
        Assert.Equal(sessions.Connections, sessionsBack.Connections);
        Assert.Empty(((SessionsReport)serializer.FromBinary(serializer.ToBinary(new SessionsReport("n", [])), "SR")).Connections);
    }
}

public class LogBufferTests
{
    [Fact]
    public void The_log_buffer_keeps_the_most_recent_lines_oldest_first()
    {
        var buffer = new LogBuffer(3);
        Assert.Empty(buffer.Last(5));
        foreach (var line in new[] { "a", "b", "c", "d", "e" })
        {
            buffer.Add(line);
        }

        Assert.Equal(["c", "d", "e"], buffer.Last(10));
        Assert.Equal(["d", "e"], buffer.Last(2));
    }
}
