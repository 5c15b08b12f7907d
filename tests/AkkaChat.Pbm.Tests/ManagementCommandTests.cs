using System.Text.RegularExpressions;
using AkkaChat.TestKit;
using AkkaChat.Protocol;

namespace AkkaChat.Pbm.Tests;

/// <summary>Every read-only command, hot reload and message trace, run with the real pbm against a 3-node process cluster.</summary>
[Trait("Category", "Slow")]
public sealed class ManagementCommandTests(ManagementClusterFixture fixture) : IClassFixture<ManagementClusterFixture>
{
    private static readonly Regex MemberUp = new(@"^akka\.tcp://akkachat@127\.0\.0\.1:\d+ \| \[\] \| up \|$");

    private async Task<string> AddressOfAsync(int node) => (await fixture.PbmAsync(node, "cluster", "status")).Lines.Single().Split(" | ")[0];

    [Fact]
    public async Task Cluster_show_prints_every_member_up_and_then_the_count()
    {
        var show = await fixture.PbmUntilAsync(0, r => r.Lines.LastOrDefault() == "Count: 3 nodes" && r.Lines.Count(MemberUp.IsMatch) == 3, TimeSpan.FromSeconds(30), "cluster", "show");
        Assert.Equal(0, show.ExitCode);
        Assert.Equal(4, show.Lines.Length);
    }

    [Fact]
    public async Task Cluster_status_names_this_node_and_leader_names_a_member()
    {
        var addresses = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var status = await fixture.PbmAsync(i, "cluster", "status");
            Assert.Matches(MemberUp, status.Lines.Single());
            addresses.Add(status.Lines.Single().Split(" | ")[0]);
        }

        Assert.Equal(3, addresses.Distinct().Count());
        var leader = await fixture.PbmAsync(1, "cluster", "leader");
        Assert.Contains(leader.Lines.Single(), addresses);
    }

    [Fact]
    public async Task Cluster_tail_starts_with_the_members_and_stops_when_cancelled()
    {
        await using var client = await ManagementClient.ConnectAsync(new HostAddress("127.0.0.1", fixture.ManagementPorts[2]), File.ReadAllText(fixture.TokenFile).Trim(), CancellationToken.None);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var lines = new List<string>();
        var end = await client.RunAsync(["cluster", "tail"], line =>
        {
            lines.Add(line);
            if (lines.Count(l => l.Contains("MemberUp: akka.tcp://akkachat@127.0.0.1:")) == 3)
            {
                cancel.Cancel();
            }
        }, cancel.Token);
        Assert.True(end.Ok, end.Error);
        Assert.Equal(3, lines.Count(l => l.Contains("MemberUp: ")));
    }

    [Fact]
    public async Task Sharding_commands_report_the_user_region_and_the_shards_each_member_hosts()
    {
        await using var user = await ChatUser.RegisterAsync(fixture.Cluster, TestPhones.New(), fixture.Cluster.Nodes[0]);
        Assert.Equal(["group", "keys", "presence", "user"], (await fixture.PbmAsync(0, "cluster-sharding", "regions")).Lines);

        var cluster = await fixture.PbmAsync(0, "cluster-sharding", "shard-stats", "-r", "user");
        Assert.Equal(0, cluster.ExitCode);
        var total = Regex.Match(cluster.Lines[^1], @"^Total: (\d+) shards, (\d+) entities$");
        Assert.True(total.Success, cluster.ToString());
        Assert.True(int.Parse(total.Groups[1].Value) >= 1);
        Assert.Equal(3, cluster.Lines.Count(l => Regex.IsMatch(l, @"^akka\.tcp://\S+ \| shards: \d+ \| entities: \d+ \|$")));

        var regions = new List<PbmResult>();
        for (var i = 0; i < 3; i++)
        {
            regions.Add(await fixture.PbmAsync(i, "cluster-sharding", "region-stats", "-r", "user"));
        }

        var perNode = regions.Select(r => int.Parse(Regex.Match(r.Lines[^1], @"^Shards: (\d+), entities: \d+$").Groups[1].Value)).Sum();
        Assert.True(perNode >= 1, string.Join("\n", regions));

        var unknown = await fixture.PbmAsync(0, "cluster-sharding", "region-stats", "-r", "nosuch");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no shard region 'nosuch' on this node (types: ", unknown.Errors);
        Assert.All(new[] { "group", "keys", "presence", "user" }, type => Assert.Contains(type, unknown.Errors));
    }

    [Fact]
    public async Task Actor_hierarchy_prints_the_supervision_tree_the_readme_draws()
    {
        var tree = await fixture.PbmAsync(0, "actor", "hierarchy");
        Assert.Equal(0, tree.ExitCode);
        Assert.Contains("/user [GuardianActor]", tree.Lines);
        Assert.Contains("  node [NodeSupervisor]", tree.Lines);
        Assert.Contains("    connections [ConnectionsSupervisor]", tree.Lines);
        Assert.Contains("    listener [TcpListener]", tree.Lines);
        Assert.Contains("/system/sharding [ClusterShardingGuardian]", tree.Lines);
        Assert.Contains("  user [ShardRegion]", tree.Lines);

        var node = await fixture.PbmAsync(0, "actor", "hierarchy", "-s", "/user/node", "-d", "2");
        Assert.Equal(["/user/node [NodeSupervisor]", "  config-reload [ConfigReloader]", "  connections [ConnectionsSupervisor]", "  listener [TcpListener]"], node.Lines);

        var missing = await fixture.PbmAsync(0, "actor", "hierarchy", "-s", "/user/nothing");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no actor at /user/nothing", missing.Errors);
    }

    [Fact]
    public async Task Log_peek_shows_the_commands_just_run_and_log_tail_follows_new_lines()
    {
        await fixture.PbmAsync(1, "cluster", "leader");
        // Other lines may be logged between the command and the peek (cluster events): a window of
        // 50 holds it; the peek prints at most that many.
        var peek = await fixture.PbmAsync(1, "log", "peek", "-n", "50");
        Assert.True(peek.Lines.Length is > 0 and <= 50, peek.ToString());
        Assert.Contains(peek.Lines, l => l.Contains("INFO ManagementHost: Management: 127.0.0.1:") && l.EndsWith("runs 'cluster leader'", StringComparison.Ordinal));

        await using var client = await ManagementClient.ConnectAsync(new HostAddress("127.0.0.1", fixture.ManagementPorts[1]), File.ReadAllText(fixture.TokenFile).Trim(), CancellationToken.None);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var lines = new List<string>();
        var tail = client.RunAsync(["log", "tail"], line =>
        {
            lines.Add(line);
            if (line.EndsWith("runs 'cluster status'", StringComparison.Ordinal))
            {
                cancel.Cancel();
            }
        }, cancel.Token);
        // The tail subscribes before its request is logged; its own request line shows it runs.
        var status = await fixture.PbmUntilAsync(1, r => r.ExitCode == 0, TimeSpan.FromSeconds(10), "cluster", "status");
        var end = await tail;
        Assert.True(end.Ok, end.Error);
        Assert.Contains(lines, l => l.EndsWith("runs 'cluster status'", StringComparison.Ordinal));
        Assert.Equal(0, status.ExitCode);
    }

    [Fact]
    public async Task Stats_reports_every_figure_of_the_node_and_user_reports_the_users_status()
    {
        var phone = TestPhones.New();
        await using var user = await ChatUser.RegisterAsync(fixture.Cluster, phone, fixture.Cluster.Nodes[0]);
        var stats = await fixture.PbmAsync(0, "akkachat", "stats");
        Assert.Equal(0, stats.ExitCode);
        Assert.StartsWith("Node node-1 (akka.tcp://akkachat@127.0.0.1:", stats.Lines[0]);
        Assert.Matches(@"^connections: [1-9]\d* \(tcp [1-9]\d*, websocket \d+; [1-9]\d* logged in\)$", stats.Lines[1]);
        Assert.Matches(@"^users online: [1-9]\d* \(logged in on this node\)$", stats.Lines[2]);
        Assert.Matches(@"^user actors on this node: \d+ in \d+ shards$", stats.Lines[3]);
        Assert.Matches(@"^messages in \(SEND_ACKed\): [\d.]+/s over the last 1 s$", stats.Lines[4]);
        Assert.Matches(@"^messages out \(pushed to sessions\): [\d.]+/s over the last 1 s$", stats.Lines[5]);
        Assert.Matches(@"^items acknowledged by recipients: [\d.]+/s over the last 1 s$", stats.Lines[6]);
        Assert.Matches(@"^(journal write p99: [\d.]+ ms over the last [1-9]\d* writes|journal write p99: no journal writes since the node started)$", stats.Lines[7]);
        Assert.Matches(@"^inbox items: \d+ queued in the \d+ user actors on this node$", stats.Lines[8]);
        Assert.DoesNotContain(stats.Lines, l => l.Contains("not reported", StringComparison.Ordinal));

        // The registration was journaled on the node hosting the user: that node has a p99.
        var host = await HostIndexAsync(phone);
        var hostStats = await fixture.PbmAsync(host, "akkachat", "stats");
        Assert.Matches(@"^journal write p99: [\d.]+ ms over the last [1-9]\d* writes$", hostStats.Lines[7]);

        var info = await fixture.PbmAsync(2, "akkachat", "user", phone);
        Assert.Equal(0, info.ExitCode);
        Assert.Matches($@"^\{phone}: shard \d+$", info.Lines[0]);
        Assert.Matches(@"^node: akka\.tcp://akkachat@127\.0\.0\.1:\d+$", info.Lines[1]);
        Assert.Equal("user actor: running", info.Lines[2]);
        Assert.Matches(@"^online: yes, since \d{4}-\d\d-\d\dT[\d:.]+Z$", info.Lines[3]);
        var node1 = await AddressOfAsync(0);
        Assert.Matches($@"^connection: {Regex.Escape(node1)}/user/node/connections/c-\d+$", info.Lines[4]);
        Assert.Matches($@"^  logged in: {Regex.Escape(node1)}/user/node/connections/c-\d+ from 127\.0\.0\.1:\d+$", info.Lines[5]);
        Assert.Equal("queued items: 0 (receipts owed to senders: 0)", info.Lines[6]);
        Assert.Equal("last seen: now", info.Lines[7]);

        var bad = await fixture.PbmAsync(2, "akkachat", "user", "12345");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("'12345' is not an E.164 phone number", bad.Errors);
    }

    private async Task<int> HostIndexAsync(string phone)
    {
        var host = (await fixture.PbmAsync(0, "akkachat", "user", phone)).Lines.Single(l => l.StartsWith("node: ", StringComparison.Ordinal))["node: ".Length..];
        for (var i = 0; i < 3; i++)
        {
            if (await AddressOfAsync(i) == host)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"no node has address {host}");
    }

    [Fact]
    public async Task Kick_closes_the_users_connection_on_another_node_with_forbidden_and_leaves_others_open()
    {
        var phone = TestPhones.New();
        var victim = await fixture.Cluster.Nodes[1].ConnectAsync();
        await victim.RegisterAsync(phone);
        var bystander = await fixture.Cluster.Nodes[1].ConnectAsync();
        await bystander.RegisterAsync(TestPhones.New());

        var kick = await fixture.PbmAsync(0, "akkachat", "kick", phone);
        Assert.Equal(0, kick.ExitCode);
        Assert.Matches($@"^Closed {Regex.Escape(await AddressOfAsync(1))}/user/node/connections/c-\d+ from 127\.0\.0\.1:\d+$", kick.Lines[0]);
        Assert.Equal($"Kicked {phone}: 1 connection(s) closed", kick.Lines[^1]);

        var error = await victim.ExpectErrorAsync(ErrorCode.Forbidden);
        Assert.Equal("disconnected by an operator", error.Message);
        await victim.ExpectClosedAsync();
        await bystander.ExpectAliveAsync();

        // Once the connection is gone, the user is offline with a last-seen time, and a second kick finds nothing.
        var info = await fixture.PbmUntilAsync(0, r => r.Lines.Contains("online: no"), TimeSpan.FromSeconds(15), "akkachat", "user", phone);
        Assert.Contains("connection: none", info.Lines);
        Assert.Contains(info.Lines, l => Regex.IsMatch(l, @"^last seen: \d{4}-\d\d-\d\dT[\d:.]+Z \(its last session ended\)$"));
        var again = await fixture.PbmAsync(0, "akkachat", "kick", phone);
        Assert.Equal(0, again.ExitCode);
        Assert.Equal([$"{phone} has no logged-in connection on any node"], again.Lines);
        await victim.DisposeAsync();
        await bystander.DisposeAsync();
    }

    [Fact]
    public async Task Supervision_lists_the_failures_of_each_supervisor_of_the_tree()
    {
        var supervision = await fixture.PbmAsync(0, "akkachat", "supervision");
        Assert.Equal(0, supervision.ExitCode);
        Assert.StartsWith("/user/node | failures: ", supervision.Lines[0]);
        Assert.StartsWith("/user/node/connections | failures: ", supervision.Lines[1]);
        Assert.StartsWith("/system/sharding/user (shards) | failures: ", supervision.Lines[2]);
    }

    [Fact]
    public async Task A_wrong_token_is_refused_by_the_management_port()
    {
        var wrong = Path.GetTempFileName();
        await File.WriteAllTextAsync(wrong, "not-the-token-of-this-cluster");
        var refused = await PbmProcess.RunAsync(fixture.ManagementPorts[0], wrong, "cluster", "show");
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("unauthorized: wrong or missing token", refused.Errors);
        Assert.Empty(refused.Output);
        var none = await PbmProcess.RunAsync(fixture.ManagementPorts[0], null, "cluster", "show");
        Assert.Equal(3, none.ExitCode);
        Assert.Contains(fixture.Cluster.Nodes[0].Output.Split('\n'), l => l.Contains("refused a command from 127.0.0.1:") && l.Contains("wrong or missing token"));
        File.Delete(wrong);
    }

    [Fact]
    public async Task A_hot_key_changed_in_one_nodes_config_file_reaches_every_node()
    {
        var node = fixture.Cluster.Nodes[0];
        var maxConnections = 14000 + Random.Shared.Next(1, 999);
        var changed = DateTime.UtcNow;
        await File.AppendAllTextAsync(node.ConfigFile, $"\nakkachat.connection.max-connections = {maxConnections}\n");
        var line = $"akkachat.connection.max-connections = {maxConnections}   (hot)";
        for (var i = 0; i < 3; i++)
        {
            await fixture.PbmUntilAsync(i, r => r.Lines.Contains(line), TimeSpan.FromSeconds(15), "akkachat", "config", "show");
        }

        Console.WriteLine($"hot reload: max-connections = {maxConnections} shown by all 3 nodes {(DateTime.UtcNow - changed).TotalSeconds:0.0} s after the file changed (pbm polling included)");

        // From the nodes' own logs: when node-1 saw the change, and when each other node applied it.
        var detected = LoggedAt(node.Output, "Hot settings changed here", $"max-connections = {maxConnections}");
        for (var i = 1; i < 3; i++)
        {
            var applied = LoggedAt(fixture.Cluster.Nodes[i].Output, "Applied hot settings from node-1", $"MaxConnections = {maxConnections}");
            Console.WriteLine($"hot reload: node-{i + 1} applied it {(applied - detected).TotalMilliseconds:0} ms after node-1 sent it (node-1 checks its file every 2 s)");
        }
    }

    /// <summary>When the node logged the last line holding every text (the time its log line starts with, "00:31:47.813 info  ...").</summary>
    private static TimeSpan LoggedAt(string log, params string[] texts)
    {
        var line = log.Split('\n').Last(l => texts.All(t => l.Contains(t, StringComparison.Ordinal)));
        var time = Regex.Match(line, @"^(\d\d:\d\d:\d\d\.\d{3}) ").Groups[1].Value;
        return TimeSpan.ParseExact(time, @"hh\:mm\:ss\.fff", System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Config_reload_applies_the_hot_keys_on_every_node()
    {
        var node = fixture.Cluster.Nodes[2];
        var perSecond = 40 + Random.Shared.Next(1, 50);
        await File.AppendAllTextAsync(node.ConfigFile, $"\nakkachat.rate-limit.send-per-second = {perSecond}\n");
        var reload = await fixture.PbmAsync(2, "akkachat", "config", "reload");
        Assert.Equal(0, reload.ExitCode);
        Assert.StartsWith($"Reloaded {node.ConfigFile}", reload.Lines[0]);
        var line = $"akkachat.rate-limit.send-per-second = {perSecond}   (hot)";
        for (var i = 0; i < 3; i++)
        {
            Assert.Contains(line, (await fixture.PbmAsync(i, "akkachat", "config", "show")).Lines);
        }

        // When pbm's reload made the change (not the file watcher first), it reports every member.
        if (reload.Lines[0].Contains("->", StringComparison.Ordinal))
        {
            Assert.Equal(3, reload.Lines.Count(l => l.EndsWith("| applied |", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task A_hot_value_that_fails_validation_is_refused_everywhere_and_the_old_kept()
    {
        var before = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            before.Add((await fixture.PbmAsync(i, "akkachat", "config", "show")).Lines.Single(l => l.StartsWith("akkachat.rate-limit.send-burst", StringComparison.Ordinal)));
        }

        var node = fixture.Cluster.Nodes[1];
        await File.AppendAllTextAsync(node.ConfigFile, "\nakkachat.rate-limit.send-burst = -5\n");
        var reload = await fixture.PbmAsync(1, "akkachat", "config", "reload");
        Assert.Equal(1, reload.ExitCode);
        Assert.Contains("refused: akkachat.rate-limit.send-burst must be positive, is -5; the running settings are kept on every node", reload.Errors);
        Assert.Contains(node.Output.Split('\n'), l => l.Contains("config reload of") && l.Contains("refused") && l.Contains("send-burst must be positive"));
        for (var i = 0; i < 3; i++)
        {
            Assert.Contains(before[i], (await fixture.PbmAsync(i, "akkachat", "config", "show")).Lines);
        }
    }

    [Fact]
    public async Task Msg_trace_prints_the_hops_of_one_message_across_two_nodes()
    {
        await using var bob = await ChatUser.RegisterAsync(fixture.Cluster, TestPhones.New(), fixture.Cluster.Nodes[0]);
        var host = (await fixture.PbmAsync(0, "akkachat", "user", bob.Phone)).Lines.Single(l => l.StartsWith("node: ", StringComparison.Ordinal))["node: ".Length..];
        var hostIndex = -1;
        for (var i = 0; i < 3; i++)
        {
            if (await AddressOfAsync(i) == host)
            {
                hostIndex = i;
            }
        }

        Assert.True(hostIndex >= 0, $"no node has address {host}");
        var senderIndex = (hostIndex + 1) % 3;
        await using var alice = await ChatUser.RegisterAsync(fixture.Cluster, TestPhones.New(), fixture.Cluster.Nodes[senderIndex]);
        var ack = await alice.SendReliablyAsync(bob.Phone, "trace-1", "hello");
        await bob.ReceiveUntilAsync(u => u.Received.Any(d => d.ServerMsgId == ack.ServerMsgId));

        // The ACK's DELIVERED receipt is queued for alice by her user actor, wherever it lives.
        var trace = await fixture.PbmUntilAsync(2, r => r.Lines.Any(l => l.Contains("DELIVER seq")) && r.Lines.Any(l => l.Contains("receipt by")) && r.Lines.Any(l => l.Contains("acknowledged by")),
            TimeSpan.FromSeconds(15), "akkachat", "msg", "trace", ack.ServerMsgId);
        Assert.Equal(0, trace.ExitCode);
        var hops = trace.Lines[..^1].Select(l => l.Split(" | ")).ToList();
        Assert.Contains(hops, h => h[1] == $"node-{hostIndex + 1}" && h[2].StartsWith("/system/sharding/user/", StringComparison.Ordinal) && h[3] == $"journaled at seq 1 for {bob.Phone} (from {alice.Phone})");
        Assert.Contains(hops, h => h[1] == $"node-{senderIndex + 1}" && h[2].StartsWith("/user/node/connections/c-", StringComparison.Ordinal) && h[3] == "SEND_ACK written to the sender");
        Assert.Contains(hops, h => h[1] == "node-1" && h[3] == "DELIVER seq 1 pushed to the recipient");
        Assert.Contains(hops, h => h[1] == $"node-{senderIndex + 1}" && h[2].StartsWith("/user/node/connections/c-", StringComparison.Ordinal) && h[3] == $"SEND trace-1 from {alice.Phone} accepted on the sender's connection");
        Assert.Contains(hops, h => h[1] == $"node-{hostIndex + 1}" && h[3] == $"acknowledged by {bob.Phone} (ACK up to seq 1); leaves the queue");
        Assert.Contains(hops, h => h[2].StartsWith("/system/sharding/user/", StringComparison.Ordinal) && h[3].StartsWith($"DELIVERED receipt by {bob.Phone} queued for {alice.Phone} at seq ", StringComparison.Ordinal));
        Assert.Matches(@"^\d+ hops on [23] node\(s\)$", trace.Lines[^1]);
        Assert.Equal(hops.Select(h => h[0]).Order(StringComparer.Ordinal), hops.Select(h => h[0]));

        var unknown = await fixture.PbmAsync(0, "akkachat", "msg", "trace", "no-such-id");
        Assert.Equal(["No hops of no-such-id in the trace buffers of 3 node(s)"], unknown.Lines);
    }
}
