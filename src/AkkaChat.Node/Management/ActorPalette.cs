using System.Globalization;
using Akka.Actor;
using static AkkaChat.Node.Management.Specs;

namespace AkkaChat.Node.Management;

/// <summary>
/// <c>actor hierarchy</c>: the node's live supervision tree, each actor with its class, the same tree
/// the README draws. Large families (connections, user actors) are cut after
/// <see cref="MaxChildrenShown"/> children with a count of the rest.
/// </summary>
public sealed class ActorPalette(ManagementContext context) : IPalette
{
    public const int MaxChildrenShown = 20;

    public PaletteSpec Spec { get; } = new("actor", "actors of this node", [
        Command("hierarchy", "the supervision tree (default: /user and /system/sharding, depth 4)")
            .WithOptions(new OptionSpec("-s", "PATH", "start at this actor path"), new OptionSpec("-d", "DEPTH", "levels to show")),
    ]);

    public async Task RunAsync(ParsedCommand command, Func<string, Task> writeLine, CancellationToken cancel)
    {
        var depth = 4;
        if (command.Option("-d") is { } d && (!int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out depth) || depth < 1))
        {
            throw new CommandException($"-d must be a positive number, is '{d}'");
        }

        var starts = command.Option("-s") is { } path ? [path] : new[] { "/user", "/system/sharding" };
        foreach (var start in starts)
        {
            var root = await ResolveAsync(start);
            foreach (var line in Tree(root, depth))
            {
                await writeLine(line);
            }
        }
    }

    private async Task<IActorRef> ResolveAsync(string path)
    {
        var system = (ExtendedActorSystem)context.System;
        switch (path.TrimEnd('/'))
        {
            case "/user":
                return system.Guardian;
            case "/system":
                return system.SystemGuardian;
        }

        try
        {
            return await system.ActorSelection(path).ResolveOne(context.AskTimeout);
        }
        catch (ActorNotFoundException)
        {
            throw new CommandException($"no actor at {path}");
        }
    }

    /// <summary>The tree below <paramref name="root"/>, two spaces per level, each line "path [Class]".</summary>
    public static IReadOnlyList<string> Tree(IActorRef root, int depth)
    {
        var lines = new List<string>();
        Walk(root, 0, depth, lines);
        return lines;
    }

    private static void Walk(IActorRef actor, int level, int depth, List<string> lines)
    {
        var indent = new string(' ', level * 2);
        var name = level == 0 ? actor.Path.ToStringWithoutAddress() : actor.Path.Name;
        lines.Add($"{indent}{name} [{TypeOf(actor)}]");
        if (level + 1 >= depth || actor is not ActorRefWithCell withCell)
        {
            return;
        }

        var children = withCell.Children.OrderBy(c => c.Path.Name, NaturalOrder.Instance).ToList();
        foreach (var child in children.Take(MaxChildrenShown))
        {
            Walk(child, level + 1, depth, lines);
        }

        if (children.Count > MaxChildrenShown)
        {
            lines.Add($"{indent}  ... and {children.Count - MaxChildrenShown} more");
        }
    }

    private static string TypeOf(IActorRef actor) =>
        actor is ActorRefWithCell { Underlying: { } cell } ? cell.Props.Type?.Name ?? "?" : actor.GetType().Name;

    /// <summary>c-2 before c-10.</summary>
    private sealed class NaturalOrder : IComparer<string>
    {
        public static readonly NaturalOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            static (string, long) Key(string s)
            {
                var digits = s.Length - s.Reverse().TakeWhile(char.IsDigit).Count();
                return (s[..digits], digits < s.Length && long.TryParse(s[digits..], out var n) ? n : -1);
            }

            var (px, nx) = Key(x ?? string.Empty);
            var (py, ny) = Key(y ?? string.Empty);
            var c = string.CompareOrdinal(px, py);
            return c != 0 ? c : nx.CompareTo(ny);
        }
    }
}
