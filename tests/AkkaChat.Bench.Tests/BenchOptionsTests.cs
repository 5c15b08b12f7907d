using AkkaChat.Bench.Load;
using AkkaChat.Bench.Scenarios;

namespace AkkaChat.Bench.Tests;

/// <summary>How the bench reads its options and shares users out to workers; no node involved.</summary>
public sealed class BenchOptionsTests
{
    private static readonly BenchNode Node = new("127.0.0.1", 4700, ProcessId: null, StartedByBench: false);

    [Theory]
    [InlineData("20s", 20)]
    [InlineData("500ms", 0.5)]
    [InlineData("2m", 120)]
    [InlineData("1h", 3600)]
    [InlineData("7", 7)]
    [InlineData("1.5s", 1.5)]
    public void durations_are_read_with_their_unit(string text, double seconds)
    {
        Assert.True(BenchCommandLine.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-3s")]
    [InlineData("5 minutes")]
    public void text_that_is_not_a_duration_is_refused(string text) =>
        Assert.False(BenchCommandLine.TryParseDuration(text, out _));

    [Fact]
    public void a_run_needs_either_a_server_or_a_node_of_its_own()
    {
        Assert.NotNull(new BenchOptions { Scenario = ScenarioKind.OneToOne }.Validate());
        Assert.NotNull(new BenchOptions { Scenario = ScenarioKind.OneToOne, Server = "127.0.0.1:4700", StartNode = true }.Validate());
        Assert.Null(new BenchOptions { Scenario = ScenarioKind.OneToOne, Server = "127.0.0.1:4700" }.Validate());
        Assert.Null(new BenchOptions { Scenario = ScenarioKind.OneToOne, StartNode = true }.Validate());
        Assert.NotNull(new BenchOptions { Scenario = ScenarioKind.OneToOne, Server = "no-port" }.Validate());
    }

    [Fact]
    public void the_websocket_transport_is_chosen_for_started_nodes_or_by_ws_entries_of_the_server_list()
    {
        var run = new BenchOptions { Scenario = ScenarioKind.OneToOne, StartNode = true };

        Assert.Null((run with { Transport = "ws" }).Validate());
        Assert.Contains("--transport must be tcp or ws", (run with { Transport = "quic" }).Validate());
        Assert.Contains("ws://HOST:PORT", new BenchOptions { Scenario = ScenarioKind.OneToOne, Server = "127.0.0.1:4700", Transport = "ws" }.Validate());
        Assert.Null(new BenchOptions { Scenario = ScenarioKind.OneToOne, Server = "ws://127.0.0.1:4780,127.0.0.1:4700" }.Validate());
        Assert.Contains("--transport tcp", new BenchOptions { Scenario = ScenarioKind.IdleConnections, StartNode = true, Transport = "ws", Layer = IdleConnectionsLayer.Socket }.Validate());
    }

    [Fact]
    public void a_comma_separated_server_list_names_the_nodes_of_a_cluster()
    {
        var cluster = new BenchOptions { Scenario = ScenarioKind.LatencyLadder, Server = "127.0.0.1:4701, 127.0.0.1:4702,127.0.0.1:4703" };

        Assert.Null(cluster.Validate());
        Assert.Equal(["127.0.0.1:4701", "127.0.0.1:4702", "127.0.0.1:4703"], cluster.ServerList);
        Assert.NotNull((cluster with { Server = "127.0.0.1:4701,nowhere" }).Validate());
    }

    [Fact]
    public void a_cluster_the_bench_starts_needs_the_postgresql_journal_and_its_connection_string()
    {
        var ladder = new BenchOptions { Scenario = ScenarioKind.LatencyLadder, StartNode = true };

        Assert.Contains("--storage postgresql", (ladder with { Nodes = 3 }).Validate());
        Assert.Contains("--connection-string", (ladder with { Nodes = 3, Storage = "postgresql" }).Validate());
        Assert.Null((ladder with { Nodes = 3, Storage = "postgresql", ConnectionString = "Host=127.0.0.1" }).Validate());
        Assert.NotNull((ladder with { Storage = "mysql" }).Validate());
    }

    [Fact]
    public void the_ladder_defaults_to_the_rates_of_the_latency_goal()
    {
        var ladder = new BenchOptions { Scenario = ScenarioKind.LatencyLadder, StartNode = true };

        Assert.Equal([500.0, 1_000, 2_500, 5_000, 10_000, 25_000], ladder.Steps);
        Assert.Equal(TimeSpan.FromSeconds(10), ladder.StepDuration);
        Assert.NotNull((ladder with { Steps = [500, -1] }).Validate());
    }

    [Fact]
    public void more_connections_than_one_process_can_hold_ask_for_more_workers()
    {
        var tooMany = new BenchOptions { Scenario = ScenarioKind.IdleConnections, StartNode = true, Users = 30_000, Workers = 1 };
        Assert.Contains("--workers 2", tooMany.Validate());
        Assert.Null((tooMany with { Workers = 2 }).Validate());
    }

    [Fact]
    public void the_body_must_hold_the_send_timestamp() =>
        Assert.NotNull(new BenchOptions { Scenario = ScenarioKind.OneToOne, StartNode = true, BodyBytes = 7 }.Validate());

    [Fact]
    public void workers_get_whole_pairs_so_sender_and_recipient_share_a_clock()
    {
        var options = new BenchOptions { Scenario = ScenarioKind.OneToOne, StartNode = true, Users = 1001, Workers = 3, Rate = 900 };

        var plans = BenchRun.Plan(options, Node, phonePrefix: 123456);

        Assert.Equal(3, plans.Count);
        Assert.All(plans, p => Assert.True(p.FirstUser % 2 == 0 && p.UserCount % 2 == 0, $"{p.FirstUser}+{p.UserCount} splits a pair"));
        Assert.Equal(1000, plans.Sum(p => p.UserCount)); // the odd last user has no partner
        Assert.Equal(0, plans[0].FirstUser);
        Assert.Equal(plans[0].UserCount, plans[1].FirstUser);
        Assert.Equal(plans[1].FirstUser + plans[1].UserCount, plans[2].FirstUser);
        Assert.Equal(900, plans.Sum(p => p.RatePerSecond!.Value), precision: 6);
    }

    [Fact]
    public void idle_connections_share_users_one_by_one()
    {
        var options = new BenchOptions { Scenario = ScenarioKind.IdleConnections, StartNode = true, Users = 7, Workers = 2 };

        var plans = BenchRun.Plan(options, Node, phonePrefix: 123456);

        Assert.Equal([3, 4], plans.Select(p => p.UserCount));
    }

    [Fact]
    public void phone_numbers_are_valid_and_distinct_per_run_and_user()
    {
        var phone = BenchPhones.Of(123456, 42);

        Assert.Equal("+11234560000042", phone);
        Assert.True(AkkaChat.Protocol.PhoneNumber.TryParse(phone, out _));
        Assert.NotEqual(BenchPhones.Of(123456, 43), phone);
        Assert.NotEqual(BenchPhones.Of(654321, 42), phone);
    }
}
