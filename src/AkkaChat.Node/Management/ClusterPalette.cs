using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;
using static AkkaChat.Node.Management.Specs;

namespace AkkaChat.Node.Management;

/// <summary>
/// <c>cluster</c>: membership as this node sees it, and the membership changes an operator makes.
/// Output follows Petabridge.Cmd's cluster palette (<c>address | [roles] | status |</c>).
/// </summary>
public sealed class ClusterPalette(ManagementContext context) : IPalette
{
    public PaletteSpec Spec { get; } = new("cluster", "cluster membership", [
        Command("show", "every member: address, roles, status, reachability"),
        Command("status", "this node's own membership status"),
        Command("leader", "the current leader"),
        Command("join", "make this node join the cluster at ADDR (akka.tcp://akkachat@host:port)", "ADDR"),
        Command("leave", "make the member at ADDR leave gracefully (its shards are handed off)", "ADDR"),
        Command("down", "mark the member at ADDR down (for a member that is gone)", "ADDR"),
        Command("down-unreachable", "mark every unreachable member down"),
        Command("tail", "follow membership events until cancelled").Streaming(),
    ]);

    private Cluster Cluster => Cluster.Get(context.System);

    public async Task RunAsync(ParsedCommand command, Func<string, Task> writeLine, CancellationToken cancel)
    {
        switch (command.Spec.Name)
        {
            case "show":
                foreach (var line in Show(Cluster.State))
                {
                    await writeLine(line);
                }

                break;
            case "status":
                // Before it has joined, Akka reports a node's own status as Removed; say what it means.
                var isMember = Cluster.State.Members.Any(m => m.Address == Cluster.SelfAddress);
                await writeLine($"{Cluster.SelfAddress} | {Roles(Cluster.SelfRoles)} | {(isMember ? Status(Cluster.SelfMember.Status) : "not a member")} |");
                break;
            case "leader":
                await writeLine(Cluster.State.Leader?.ToString() ?? "no leader");
                break;
            case "join":
                var address = ParseAddress(command.Arguments[0]);
                Cluster.Join(address);
                await writeLine($"Joining {address}");
                break;
            case "leave":
                var leaving = MemberAt(command.Arguments[0]);
                Cluster.Leave(leaving.Address);
                await writeLine($"Asked {leaving.Address} to leave the cluster");
                break;
            case "down":
                var downed = MemberAt(command.Arguments[0]);
                Cluster.Down(downed.Address);
                await writeLine($"Marked {downed.Address} down");
                break;
            case "down-unreachable":
                var unreachable = Cluster.State.Unreachable.ToList();
                foreach (var member in unreachable)
                {
                    Cluster.Down(member.Address);
                    await writeLine($"Marked {member.Address} down");
                }

                await writeLine(unreachable.Count == 0 ? "No unreachable members" : $"Downed {unreachable.Count} unreachable member(s)");
                break;
            case "tail":
                await TailAsync(writeLine, cancel);
                break;
        }
    }

    /// <summary>The lines of <c>cluster show</c>: one per member, then the count.</summary>
    public static IReadOnlyList<string> Show(ClusterEvent.CurrentClusterState state)
    {
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var lines = state.Members.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m => $"{m.Address} | {Roles(m.Roles)} | {Status(m.Status)} |{(unreachable.Contains(m.Address) ? " unreachable |" : string.Empty)}")
            .ToList();
        lines.Add($"Count: {state.Members.Count} nodes");
        return lines;
    }

    private static string Roles(IEnumerable<string> roles) => $"[{string.Join(", ", roles.Where(r => !r.StartsWith("dc-", StringComparison.Ordinal)))}]";

    private static string Status(MemberStatus status) => status.ToString().ToLowerInvariant();

    private static Address ParseAddress(string text)
    {
        try
        {
            return Address.Parse(text);
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException)
        {
            throw new CommandException($"'{text}' is not a member address (akka.tcp://akkachat@host:port)");
        }
    }

    private Member MemberAt(string text)
    {
        var address = ParseAddress(text);
        return Cluster.State.Members.FirstOrDefault(m => m.Address == address)
            ?? throw new CommandException($"{address} is not a member of this cluster (see 'cluster show')");
    }

    private async Task TailAsync(Func<string, Task> writeLine, CancellationToken cancel)
    {
        // Membership events come to a small actor and through a bounded channel to this connection.
        var events = Channel.CreateBounded<string>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
        var subscriber = context.System.ActorOf(Props.Create(() => new EventForwarder(events.Writer)));
        try
        {
            Cluster.Subscribe(subscriber, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));
            await foreach (var line in events.Reader.ReadAllAsync(cancel))
            {
                await writeLine(line);
            }
        }
        finally
        {
            Cluster.Unsubscribe(subscriber);
            context.System.Stop(subscriber);
        }
    }

    private sealed class EventForwarder : ReceiveActor
    {
        public EventForwarder(ChannelWriter<string> events)
        {
            Receive<ClusterEvent.IMemberEvent>(e => events.TryWrite($"{DateTime.UtcNow:HH:mm:ss.fff} {e.GetType().Name}: {e.Member.Address} | {Roles(e.Member.Roles)} | {Status(e.Member.Status)} |"));
            Receive<ClusterEvent.UnreachableMember>(e => events.TryWrite($"{DateTime.UtcNow:HH:mm:ss.fff} UnreachableMember: {e.Member.Address}"));
            Receive<ClusterEvent.ReachableMember>(e => events.TryWrite($"{DateTime.UtcNow:HH:mm:ss.fff} ReachableMember: {e.Member.Address}"));
            Receive<ClusterEvent.LeaderChanged>(e => events.TryWrite($"{DateTime.UtcNow:HH:mm:ss.fff} LeaderChanged: {e.Leader?.ToString() ?? "none"}"));
            ReceiveAny(_ => { });
        }
    }
}
