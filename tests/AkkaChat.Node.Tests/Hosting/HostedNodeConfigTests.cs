using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Hosting;
using AkkaChat.Node.Groups;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Keys;
using AkkaChat.Node.Management;
using AkkaChat.Node.Presence;
using AkkaChat.Node.Serialization;
using AkkaChat.Node.Tests.Support;
using AkkaChat.Node.Users;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace AkkaChat.Node.Tests.Hosting;

/// <summary>
/// The hosted node takes remoting, cluster membership, shard regions and serializers from the
/// akkachat.cluster and akkachat.sharding keys, through the Akka.Hosting extensions.
/// </summary>
public sealed class HostedNodeConfigTests
{
    [Fact]
    public async Task Hosted_node_runs_with_the_remote_port_roles_shards_and_serializers_of_its_keys()
    {
        using var dir = new TempDirectory();
        var remotePort = FreePort();
        var options = new NodeOptions(null,
        [
            "akkachat.listen.host = \"127.0.0.1\"",
            $"akkachat.listen.port = {FreePort()}",
            TestSettings.Quoted("akkachat.storage.data-dir", dir.Path),
            "akkachat.web.enabled = off",
            "akkachat.management.enabled = off",
            $"akkachat.cluster.port = {remotePort}",
            "akkachat.cluster.roles = [chat, edge]",
            "akkachat.sharding.role = chat",
        ], false);
        var (host, _) = ChatNodeHost.Build(options, _ => { });
        await host.StartAsync();
        try
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var cluster = Cluster.Get(system);

            Assert.Equal(remotePort, system.Settings.Config.GetInt("akka.remote.dot-netty.tcp.port"));
            Assert.Equal(remotePort, cluster.SelfAddress.Port);
            Assert.Equal("127.0.0.1", cluster.SelfAddress.Host);
            Assert.Equal(new[] { "chat", "edge" }, cluster.SelfRoles.Where(r => !r.StartsWith("dc-", StringComparison.Ordinal)).Order());
            Assert.Empty(cluster.Settings.SeedNodes);
            Assert.Equal("keep-majority", system.Settings.Config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
            Assert.Equal(TimeSpan.FromSeconds(7), system.Settings.Config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));

            // No seeds: the node joins itself.
            await AwaitAsync(() => cluster.SelfMember.Status == MemberStatus.Up, "the node never became Up in its own cluster");

            var serialization = system.Serialization;
            Assert.Equal(ChatSerializer.Id, serialization.FindSerializerForType(typeof(AkkaChat.Node.Contracts.SubmitMessage)).Identifier);
            Assert.IsType<ManagementSerializer>(serialization.FindSerializerForType(typeof(RuntimeSettingsQuery)));
            // Akka.Remote's own binding of protobuf messages is replaced in the config, not only by the setup.
            Assert.DoesNotContain(system.Settings.Config.GetConfig("akka.actor.serialization-bindings").AsEnumerable(), binding => binding.Value.GetString() == "proto" && binding.Key.Contains("Google.Protobuf.IMessage"));

            var registry = ActorRegistry.For(system);
            var users = registry.Get<UserShard>();
            Assert.Equal("/system/sharding/user", users.Path.ToStringWithoutAddress());
            Assert.True(registry.TryGet<GroupShard>(out _));
            Assert.True(registry.TryGet<PresenceShard>(out _));
            Assert.True(registry.TryGet<KeyShard>(out _));

            // The user region hosts its entities on this member (it has the sharding role), in the
            // shard hash(phone) mod 256 names.
            const string phone = "+15550009999";
            users.Tell(new ShardRegion.StartEntity(phone));
            await AwaitAsync(
                async () =>
                {
                    var state = await users.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(3));
                    return state.Shards.Any(s => s.ShardId == UserShard.ShardIdOf(phone) && s.EntityIds.Contains(phone));
                },
                $"user {phone} never started in shard {UserShard.ShardIdOf(phone)}");

            // The journal is the node's own write path (akkachat.storage.journal.insert = prepared, the default).
            var figures = await Akka.Persistence.Persistence.Instance.Apply(system).JournalFor(null)
                .Ask<AkkaChat.Node.Storage.JournalWriterFigures>(AkkaChat.Node.Storage.PreparedSqlWriteJournal.GetFigures.Instance, TimeSpan.FromSeconds(30));
            Assert.Equal(0, figures.FailedTransactions);
        }
        finally
        {
            await host.StopAsync();
            host.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }

    [Fact]
    public void Defaults_are_a_one_member_cluster_on_a_free_loopback_port_with_keep_majority_and_persistent_coordinators()
    {
        var settings = TestSettings.Create();

        Assert.Equal(new AkkaChat.Node.Hosting.ClusterSettings("127.0.0.1", 0, null, [], [], DowningStrategy.KeepMajority, null, 0, true) with
        {
            SeedNodes = settings.Cluster.SeedNodes,
            Roles = settings.Cluster.Roles,
        }, settings.Cluster);
        Assert.Empty(settings.Cluster.SeedNodes);
        Assert.Empty(settings.Cluster.Roles);
        Assert.Equal(new ShardingSettings(null, StateStoreMode.Persistence, false, RememberEntitiesStore.DData), settings.Sharding);
    }

    [Fact]
    public void Shard_options_carry_the_sharding_keys_and_never_passivate_idle_entities()
    {
        var settings = TestSettings.Create(
            "akkachat.sharding.role = chat", "akkachat.sharding.remember-entities = on", "akkachat.sharding.remember-entities-store = eventsourced");

        var options = ConfigurationFactory.ParseString(settings.Sharding.ShardOptions().ToString());

        Assert.Equal("chat", options.GetString("role"));
        Assert.True(options.GetBoolean("remember-entities"));
        Assert.Equal("eventsourced", options.GetString("remember-entities-store"));
        Assert.Equal("persistence", options.GetString("state-store-mode"));
        Assert.Equal("off", options.GetString("passivate-idle-entity-after"));
    }

    [Fact]
    public void Config_alone_carries_the_same_remoting_and_cluster_settings_as_the_hosted_node()
    {
        var settings = TestSettings.Create(
            "akkachat.cluster.hostname = \"10.1.2.3\"", "akkachat.cluster.port = 4711", "akkachat.cluster.public-hostname = chat.example",
            "akkachat.cluster.roles = [chat]", "akkachat.storage.provider = postgresql", "akkachat.storage.connection-string = \"Host=db\"",
            "akkachat.cluster.seed-nodes = [\"akka.tcp://akkachat@10.1.2.3:4711\"]");

        var akka = NodeConfig.AkkaConfig(settings);

        Assert.Equal("cluster", akka.GetString("akka.actor.provider"));
        Assert.Equal("10.1.2.3", akka.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal(4711, akka.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal("chat.example", akka.GetString("akka.remote.dot-netty.tcp.public-hostname"));
        Assert.Equal(new[] { "chat" }, akka.GetStringList("akka.cluster.roles"));
        Assert.Equal(new[] { "akka.tcp://akkachat@10.1.2.3:4711" }, akka.GetStringList("akka.cluster.seed-nodes"));
        Assert.Contains("SplitBrainResolverProvider", akka.GetString("akka.cluster.downing-provider-class"));
        Assert.Contains(akka.GetConfig("akka.actor.serialization-bindings").AsEnumerable(), binding => binding.Value.GetString() == "akkachat");
    }

    [Fact]
    public void Downing_off_clears_the_downing_provider()
    {
        var akka = NodeConfig.AkkaConfig(TestSettings.Create("akkachat.cluster.split-brain-resolver.active-strategy = off"));

        Assert.Equal(string.Empty, akka.GetString("akka.cluster.downing-provider-class"));
    }

    [Theory]
    [InlineData("akka.remote.dot-netty.tcp.port = 4711", "akkachat.cluster.port")]
    [InlineData("akka.cluster.seed-nodes = []", "akkachat.cluster.seed-nodes")]
    [InlineData("akka.cluster.sharding.remember-entities = on", "akkachat.sharding.remember-entities")]
    public void An_akka_key_the_node_sets_from_its_own_key_is_refused_naming_that_key(string line, string nodeKey)
    {
        var e = Assert.Throws<ConfigurationException>(() => TestSettings.Create(line));

        Assert.Contains(nodeKey, e.Message);
    }

    [Theory]
    [InlineData("akkachat.cluster.split-brain-resolver.active-strategy = sometimes", "active-strategy")]
    [InlineData("akkachat.cluster.split-brain-resolver.active-strategy = static-quorum", "quorum-size")]
    [InlineData("akkachat.cluster.port = 70000", "akkachat.cluster.port")]
    [InlineData("akkachat.cluster.roles = [\"a b\"]", "akkachat.cluster.roles")]
    [InlineData("akkachat.cluster.seed-nodes = [\"nowhere\"]", "akkachat.cluster.seed-nodes")]
    [InlineData("akkachat.sharding.state-store-mode = disk", "akkachat.sharding.state-store-mode")]
    public void A_bad_cluster_or_sharding_value_is_refused_with_its_key(string line, string key)
    {
        var e = Assert.Throws<ConfigurationException>(() => TestSettings.Create(line));

        Assert.Contains(key, e.Message);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task AwaitAsync(Func<bool> condition, string failure) => AwaitAsync(() => Task.FromResult(condition()), failure);

    private static async Task AwaitAsync(Func<Task<bool>> condition, string failure)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, failure);
            await Task.Delay(100);
        }
    }
}
