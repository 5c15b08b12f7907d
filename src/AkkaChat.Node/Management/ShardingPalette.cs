using Akka.Actor;
using Akka.Cluster.Sharding;
using static AkkaChat.Node.Management.Specs;

namespace AkkaChat.Node.Management;

/// <summary><c>cluster-sharding</c>: the shard regions, and how many shards and entities each member hosts.</summary>
public sealed class ShardingPalette(ManagementContext context) : IPalette
{
    private static readonly OptionSpec Region = new("-r", "TYPE", "the entity type name (user)");

    public PaletteSpec Spec { get; } = new("cluster-sharding", "cluster sharding", [
        Command("regions", "the shard regions (entity types) started on this node"),
        Command("region-stats", "shards and entity counts of this node's region").WithOptions(Region),
        Command("shard-stats", "shards and entities per member, cluster-wide").WithOptions(Region),
    ]);

    public async Task RunAsync(ParsedCommand command, Func<string, Task> writeLine, CancellationToken cancel)
    {
        var sharding = ClusterSharding.Get(context.System);
        if (command.Spec.Name == "regions")
        {
            foreach (var name in sharding.ShardTypeNames.OrderBy(n => n, StringComparer.Ordinal))
            {
                await writeLine(name);
            }

            return;
        }

        var type = command.Option("-r") ?? throw new CommandException($"usage: cluster-sharding {command.Spec.Name} -r TYPE (types: {string.Join(", ", sharding.ShardTypeNames)})");
        if (!sharding.ShardTypeNames.Contains(type))
        {
            throw new CommandException($"no shard region '{type}' on this node (types: {string.Join(", ", sharding.ShardTypeNames)})");
        }

        var region = sharding.ShardRegion(type);
        if (command.Spec.Name == "region-stats")
        {
            var stats = await region.Ask<ShardRegionStats>(GetShardRegionStats.Instance, context.AskTimeout, cancel);
            await writeLine($"Region {type} on {Akka.Cluster.Cluster.Get(context.System).SelfAddress}");
            foreach (var (shard, entities) in stats.Stats.OrderBy(s => int.TryParse(s.Key, out var n) ? n : int.MaxValue))
            {
                await writeLine($"  shard {shard}: {entities} entities");
            }

            await writeLine($"Shards: {stats.Stats.Count}, entities: {stats.Stats.Values.Sum()}");
            return;
        }

        var cluster = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(3)), context.AskTimeout, cancel);
        foreach (var (address, regionStats) in cluster.Regions.OrderBy(r => r.Key.ToString(), StringComparer.Ordinal))
        {
            await writeLine($"{address} | shards: {regionStats.Stats.Count} | entities: {regionStats.Stats.Values.Sum()} |");
        }

        await writeLine($"Total: {cluster.Regions.Values.Sum(r => r.Stats.Count)} shards, {cluster.Regions.Values.Sum(r => r.Stats.Values.Sum())} entities");
    }
}
