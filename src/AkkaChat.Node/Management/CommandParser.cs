namespace AkkaChat.Node.Management;

/// <summary>A command's words checked against its palette: palette, command, arguments, option values.</summary>
public sealed record ParsedCommand(string Palette, CommandSpec Spec, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Options)
{
    public string? Option(string name) => Options.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// Parses command words (<c>cluster-sharding region-stats -r user</c>) against the palettes.
/// Command names may be several words (<c>akkachat config show</c>, <c>akkachat msg trace ID</c>):
/// the longest name that matches wins. Pure; the host and its tests use it.
/// </summary>
public static class CommandParser
{
    public static ParsedCommand Parse(IReadOnlyList<string> words, IEnumerable<PaletteSpec> palettes)
    {
        if (words.Count == 0)
        {
            throw new CommandException("no command given");
        }

        var palette = palettes.FirstOrDefault(p => p.Name == words[0])
            ?? throw new CommandException($"unknown palette '{words[0]}' (palettes: {string.Join(", ", palettes.Select(p => p.Name))})");
        var spec = palette.Commands
            .Where(c => Matches(c.Name.Split(' '), words))
            .OrderByDescending(c => c.Name.Split(' ').Length)
            .FirstOrDefault()
            ?? throw new CommandException(words.Count == 1
                ? $"'{palette.Name}' needs a command: {string.Join(", ", palette.Commands.Select(c => c.Name))}"
                : $"unknown command '{words[1]}' in '{palette.Name}' (commands: {string.Join(", ", palette.Commands.Select(c => c.Name))})");

        var arguments = new List<string>();
        var options = new Dictionary<string, string>();
        for (var i = 1 + spec.Name.Split(' ').Length; i < words.Count; i++)
        {
            var word = words[i];
            if (word.StartsWith('-') && word.Length > 1 && !char.IsDigit(word[1]))
            {
                var option = spec.Options.FirstOrDefault(o => o.Name == word)
                    ?? throw new CommandException($"'{palette.Name} {spec.Name}' has no option {word}{OptionsHint(spec)}");
                if (i + 1 >= words.Count)
                {
                    throw new CommandException($"option {word} needs a value ({option.Value})");
                }

                options[word] = words[++i];
            }
            else
            {
                arguments.Add(word);
            }
        }

        if (arguments.Count != spec.Arguments.Count)
        {
            throw new CommandException(
                $"usage: {palette.Name} {spec.Name}{string.Concat(spec.Arguments.Select(a => " " + a))}{string.Concat(spec.Options.Select(o => $" [{o.Name} {o.Value}]"))}");
        }

        return new ParsedCommand(palette.Name, spec, arguments, options);
    }

    private static bool Matches(string[] name, IReadOnlyList<string> words) =>
        words.Count > name.Length && name.Select((w, i) => words[i + 1] == w).All(m => m);

    private static string OptionsHint(CommandSpec spec) =>
        spec.Options.Count == 0 ? string.Empty : $" (options: {string.Join(", ", spec.Options.Select(o => o.Name))})";
}

/// <summary>A command that cannot run as given; its message goes to the operator as the error of the request.</summary>
public sealed class CommandException(string message) : Exception(message);
