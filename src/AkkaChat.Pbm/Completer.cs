namespace AkkaChat.Pbm;

/// <summary>
/// Tab completion from the palettes the host advertised: palette names, then command words
/// (command names may be several words: <c>config show</c>), then the command's options. Pure.
/// </summary>
internal sealed class Completer(IReadOnlyList<Palette> palettes)
{
    private static readonly string[] BuiltIns = ["help", "exit", "quit"];

    /// <summary>The candidates for the last (partial) word of <paramref name="line"/>.</summary>
    public IReadOnlyList<string> Candidates(string line)
    {
        var endsWithSpace = line.Length == 0 || char.IsWhiteSpace(line[^1]);
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        var partial = endsWithSpace ? string.Empty : words[^1];
        var done = endsWithSpace ? words : words[..^1];
        IEnumerable<string> options;
        if (done.Count == 0)
        {
            options = palettes.Select(p => p.Name).Concat(BuiltIns);
        }
        else if (palettes.FirstOrDefault(p => p.Name == done[0]) is not { } palette)
        {
            options = [];
        }
        else
        {
            var typed = done.Skip(1).ToList();
            var next = palette.Commands
                .Select(c => c.Name.Split(' '))
                .Where(name => name.Length > typed.Count && name.Take(typed.Count).SequenceEqual(typed))
                .Select(name => name[typed.Count])
                .Distinct()
                .ToList();
            options = next.Count > 0
                ? next
                : palette.Commands.FirstOrDefault(c => typed.Take(c.Name.Split(' ').Length).SequenceEqual(c.Name.Split(' '))) is { } command
                    ? command.Options.Select(o => o.Name).Where(o => !typed.Contains(o))
                    : [];
        }

        return options.Where(o => o.StartsWith(partial, StringComparison.Ordinal)).OrderBy(o => o, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The line after pressing Tab: the single candidate completed with a space, or the candidates'
    /// longest common prefix (the line is unchanged when that adds nothing).
    /// </summary>
    public string Complete(string line)
    {
        var candidates = Candidates(line);
        if (candidates.Count == 0)
        {
            return line;
        }

        var partialLength = line.Length == 0 || char.IsWhiteSpace(line[^1]) ? 0 : line.Split(' ')[^1].Length;
        var stem = line[..^partialLength];
        if (candidates.Count == 1)
        {
            return stem + candidates[0] + " ";
        }

        var prefix = candidates.Aggregate((a, b) => new string(a.Zip(b).TakeWhile(p => p.First == p.Second).Select(p => p.First).ToArray()));
        return stem + (prefix.Length > partialLength ? prefix : line[^partialLength..]);
    }
}
