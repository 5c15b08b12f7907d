using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using AkkaChat.Node.Diagnostics;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using Microsoft.Extensions.Logging;
using static AkkaChat.Node.Management.Specs;

namespace AkkaChat.Node.Management;

/// <summary>
/// <c>akkachat</c>: the messaging node itself: figures, one user's placement, configuration and
/// cluster-wide hot reload, failures per supervisor, and message traces gathered over the cluster.
/// A figure the node cannot measure yet is printed as "not reported", never as a number.
/// </summary>
public sealed class AkkaChatPalette(ManagementContext context, ILogger log) : IPalette
{
    /// <summary>How long <c>config reload</c> waits for every member to report the new settings.</summary>
    public static readonly TimeSpan ReloadDeadline = TimeSpan.FromSeconds(2);

    public PaletteSpec Spec { get; } = new("akkachat", "the messaging node", [
        Command("stats", "connections, users online, message rates, journal write p99, inbox items of this node"),
        Command("user", "where a user lives, whether online, its connection, queued items, last seen", "PHONE"),
        Command("kick", "close the user's connections on every node (ERROR FORBIDDEN, then close)", "PHONE"),
        Command("config show", "the hot settings in force and where they come from"),
        Command("config reload", "re-read this node's --config file and apply its hot keys on every member"),
        Command("supervision", "failures handled by each supervisor since the node started"),
        Command("msg trace", "every hop of one message across the cluster", "SERVER_MSG_ID"),
    ]);

    private Cluster Cluster => Cluster.Get(context.System);

    public Task RunAsync(ParsedCommand command, Func<string, Task> writeLine, CancellationToken cancel) => command.Spec.Name switch
    {
        "stats" => StatsAsync(writeLine, cancel),
        "user" => UserAsync(Phone(command.Arguments[0]), writeLine, cancel),
        "kick" => KickAsync(Phone(command.Arguments[0]), writeLine, cancel),
        "config show" => ConfigShowAsync(writeLine),
        "config reload" => ConfigReloadAsync(writeLine, cancel),
        "supervision" => SupervisionAsync(writeLine, cancel),
        "msg trace" => TraceAsync(command.Arguments[0], writeLine, cancel),
        _ => throw new CommandException($"unknown command {command.Spec.Name}"),
    };

    private static string Phone(string text) =>
        PhoneNumber.IsValid(text) ? text : throw new CommandException($"'{text}' is not an E.164 phone number (+15550001)");

    private async Task StatsAsync(Func<string, Task> writeLine, CancellationToken cancel)
    {
        var metrics = NodeMetrics.Get(context.System);
        var (queued, delivered, acknowledged) = await RatesAsync(metrics, TimeSpan.FromSeconds(1), cancel);
        var figures = await NodeFigures.SampleAsync(context.System, cancel);
        await writeLine($"Node {context.Settings.NodeName} ({Cluster.SelfAddress})");
        await writeLine($"connections: {figures.Tcp + figures.WebSocket} (tcp {figures.Tcp}, websocket {figures.WebSocket}; {figures.LoggedIn} logged in)");
        await writeLine($"users online: {figures.UsersOnline} (logged in on this node)");
        await writeLine($"user actors on this node: {figures.Entities} in {figures.Shards} shards");
        await writeLine($"messages in (SEND_ACKed): {queued:0.#}/s over the last 1 s");
        await writeLine($"messages out (pushed to sessions): {delivered:0.#}/s over the last 1 s");
        await writeLine($"items acknowledged by recipients: {acknowledged:0.#}/s over the last 1 s");
        await writeLine(metrics.JournalWrites.Percentile(99) is { } p99
            ? $"journal write p99: {p99.Value.TotalMilliseconds:0.###} ms over the last {p99.Samples} writes"
            : "journal write p99: no journal writes since the node started");
        await writeLine($"inbox items: {figures.QueuedItems} queued in the {figures.Entities} user actors on this node");
    }

    /// <summary>Counts what this node's counters add over <paramref name="window"/> (this node's meter only).</summary>
    private static async Task<(double Queued, double Delivered, double Acknowledged)> RatesAsync(NodeMetrics metrics, TimeSpan window, CancellationToken cancel)
    {
        long queued = 0, delivered = 0, acknowledged = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == metrics.Meter && instrument.Name is "akkachat.messages.queued" or "akkachat.items.delivered" or "akkachat.items.acknowledged")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            switch (instrument.Name)
            {
                case "akkachat.messages.queued":
                    Interlocked.Add(ref queued, value);
                    break;
                case "akkachat.items.delivered":
                    Interlocked.Add(ref delivered, value);
                    break;
                default:
                    Interlocked.Add(ref acknowledged, value);
                    break;
            }
        });
        listener.Start();
        await Task.Delay(window, cancel); // the measuring window itself, not a wait for a condition
        var seconds = window.TotalSeconds;
        return (Interlocked.Read(ref queued) / seconds, Interlocked.Read(ref delivered) / seconds, Interlocked.Read(ref acknowledged) / seconds);
    }

    private async Task UserAsync(string phone, Func<string, Task> writeLine, CancellationToken cancel)
    {
        var shard = UserShard.ShardIdOf(phone);
        var region = ClusterSharding.Get(context.System).ShardRegion(UserShard.TypeName);
        var cluster = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(3)), context.AskTimeout, cancel);
        var host = cluster.Regions.FirstOrDefault(r => r.Value.Stats.ContainsKey(shard)).Key;
        await writeLine($"{phone}: shard {shard}");
        if (host is null)
        {
            await writeLine("shard not allocated: no user actor runs (it starts at the next login or message)");
        }
        else
        {
            var state = await context.System.ActorSelection(new RootActorPath(host) / "system" / "sharding" / UserShard.TypeName)
                .Ask<CurrentShardRegionState>(GetShardRegionState.Instance, context.AskTimeout, cancel);
            var running = state.Shards.Any(s => s.ShardId == shard && s.EntityIds.Contains(phone));
            await writeLine($"node: {host}");
            await writeLine($"user actor: {(running ? "running" : "not running (passivated, or not started since the node began); started now to answer")}");
        }

        // The status comes from the node hosting the shard (or, unallocated, this node's region places it).
        var status = await ManagementPeer.At(context.System, host ?? Cluster.SelfAddress)
            .Ask<UserStatusReport>(new UserStatusRequest(phone), context.AskTimeout, cancel);
        if (!status.Answered)
        {
            throw new CommandException($"the user actor of {phone} did not answer within {context.Management.PeerAskTimeout.TotalSeconds:0} s");
        }

        if (!status.Registered)
        {
            await writeLine("registered: no");
        }

        var connections = await SessionsOnMembersAsync(new SessionsRequest(phone), cancel);
        await writeLine(status.Session.Length > 0
            ? $"online: yes, since {Time(status.SessionSinceMs)}"
            : "online: no");
        await writeLine($"connection: {(status.Session.Length > 0 ? status.Session : "none")}");
        foreach (var line in connections)
        {
            await writeLine($"  logged in: {line}");
        }

        await writeLine($"queued items: {status.QueuedItems} (receipts owed to senders: {status.OutboxReceipts})");
        await writeLine(status.Session.Length > 0
            ? "last seen: now"
            : status.LastSessionEndedAtMs > 0
                ? $"last seen: {Time(status.LastSessionEndedAtMs)} (its last session ended)"
                : "last seen: no session since its user actor started");
    }

    private static string Time(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Sends <paramref name="request"/> to the peer of every Up member; the connections they name, "PATH from REMOTE".</summary>
    private async Task<IReadOnlyList<string>> SessionsOnMembersAsync(IManagementMessage request, CancellationToken cancel)
    {
        var members = Cluster.State.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving).ToList();
        var reports = await Task.WhenAll(members.Select(async m =>
        {
            try
            {
                return (await ManagementPeer.At(context.System, m.Address).Ask<SessionsReport>(request, context.AskTimeout, cancel)).Connections;
            }
            catch (AskTimeoutException)
            {
                return [$"(no answer from {m.Address})"];
            }
        }));
        return reports.SelectMany(r => r).ToList();
    }

    /// <summary>
    /// Closes the user's logged-in connections on every member: each gets ERROR{FORBIDDEN,
    /// "disconnected by an operator"} and its socket closes (docs/protocol.md). The client may log in again.
    /// </summary>
    private async Task KickAsync(string phone, Func<string, Task> writeLine, CancellationToken cancel)
    {
        var closed = await SessionsOnMembersAsync(new KickRequest(phone), cancel);
        log.LogInformation("Management: kicked {Phone}: {Count} connection(s) closed", phone, closed.Count(c => !c.StartsWith('(')));
        foreach (var line in closed)
        {
            await writeLine(line.StartsWith('(') ? line : $"Closed {line}");
        }

        await writeLine(closed.Count == 0 ? $"{phone} has no logged-in connection on any node" : $"Kicked {phone}: {closed.Count(c => !c.StartsWith('('))} connection(s) closed");
    }

    private async Task ConfigShowAsync(Func<string, Task> writeLine)
    {
        foreach (var line in RuntimeSettingsHocon.Render(context.Runtime.Current).Split('\n'))
        {
            await writeLine($"{line}   (hot)");
        }

        await writeLine(context.ConfigFile is null
            ? "config file: none (the node runs on its defaults and --set; 'config reload' has nothing to read)"
            : $"config file: {context.ConfigFile.Path} (checked every {context.Settings.ConfigReloadInterval.TotalSeconds:0.#} s)");
    }

    private async Task ConfigReloadAsync(Func<string, Task> writeLine, CancellationToken cancel)
    {
        var file = context.ConfigFile ?? throw new CommandException("this node runs without --config: there is no file to reload");
        Configuration.RuntimeSettings next;
        try
        {
            next = Configuration.RuntimeSettings.Create(NodeConfig.Load(file.Path, file.Overrides));
        }
        catch (Exception e) when (e is ConfigurationException or FormatException or IOException)
        {
            log.LogWarning("Management: config reload of {File} refused, keeping the running settings on every node: {Reason}", file.Path, e.Message);
            throw new CommandException($"refused: {e.Message}; the running settings are kept on every node");
        }

        var previous = context.Runtime.Current;
        if (next == previous)
        {
            await writeLine($"Reloaded {file.Path}: no hot setting changed");
            return;
        }

        context.Runtime.Update(next); // the management peer sends it to every other member
        log.LogInformation("Management: config reload of {File}: {Previous} -> {Next}", file.Path, previous, next);
        await writeLine($"Reloaded {file.Path}: {previous} -> {next}");
        var expected = RuntimeSettingsHocon.Render(next);
        var until = DateTime.UtcNow + ReloadDeadline;
        IReadOnlyList<(Member Member, string? Hocon)> reports;
        do
        {
            reports = await QueryMembersAsync(cancel);
        }
        while (reports.Any(r => r.Hocon != expected) && DateTime.UtcNow < until);

        foreach (var (member, hocon) in reports)
        {
            await writeLine($"{member.Address} | {(hocon == expected ? "applied" : hocon is null ? "no answer" : "not applied")} |");
        }
    }

    private async Task<IReadOnlyList<(Member Member, string? Hocon)>> QueryMembersAsync(CancellationToken cancel)
    {
        var members = Cluster.State.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp).OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).ToList();
        var answers = members.Select(async m =>
        {
            try
            {
                var report = await ManagementPeer.At(context.System, m.Address).Ask<RuntimeSettingsReport>(RuntimeSettingsQuery.Instance, TimeSpan.FromSeconds(1), cancel);
                return (m, (string?)report.Hocon);
            }
            catch (AskTimeoutException)
            {
                return (m, null);
            }
        });
        return await Task.WhenAll(answers);
    }

    private async Task SupervisionAsync(Func<string, Task> writeLine, CancellationToken cancel)
    {
        var report = await context.Peer.Ask<ManagementPeer.SupervisionReport>(ManagementPeer.SupervisionQuery.Instance, context.AskTimeout, cancel);
        int Failures(Func<string, bool> match) => report.FailuresBySupervisor.Where(kv => match(kv.Key)).Sum(kv => kv.Value);
        var userShards = $"/system/sharding/{UserShard.TypeName}";
        await writeLine($"/user/node | failures: {Failures(s => s == "/user/node")} | one-for-one: restart the child (10 per minute); a listener that cannot bind stops the node |");
        await writeLine($"/user/node/connections | failures: {Failures(s => s == "/user/node/connections")} | one-for-one: stop the failed connection |");
        await writeLine($"{userShards} (shards) | failures: {Failures(s => s.StartsWith(userShards, StringComparison.Ordinal))} | restart: the user actor recovers from its journal |");
        foreach (var (supervisor, count) in report.FailuresBySupervisor.Where(kv => kv.Key != "/user/node" && kv.Key != "/user/node/connections" && !kv.Key.StartsWith(userShards, StringComparison.Ordinal)))
        {
            await writeLine($"{supervisor} | failures: {count} |");
        }
    }

    private async Task TraceAsync(string serverMsgId, Func<string, Task> writeLine, CancellationToken cancel)
    {
        var members = Cluster.State.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving).ToList();
        var answers = await Task.WhenAll(members.Select(async m =>
        {
            try
            {
                return (await ManagementPeer.At(context.System, m.Address).Ask<TraceHops>(new TraceQuery(serverMsgId), TimeSpan.FromSeconds(3), cancel)).Hops;
            }
            catch (AskTimeoutException)
            {
                await writeLine($"(no answer from {m.Address})");
                return [];
            }
        }));
        var hops = answers.SelectMany(h => h).OrderBy(h => h.AtUnixMs).ToList();
        if (hops.Count == 0)
        {
            await writeLine($"No hops of {serverMsgId} in the trace buffers of {members.Count} node(s)");
            return;
        }

        foreach (var hop in hops)
        {
            await writeLine($"{DateTimeOffset.FromUnixTimeMilliseconds(hop.AtUnixMs):yyyy-MM-ddTHH:mm:ss.fffZ} | {hop.Node} | {hop.Actor} | {hop.What}");
        }

        await writeLine($"{hops.Count} hops on {hops.Select(h => h.Node).Distinct().Count()} node(s)");
    }
}
