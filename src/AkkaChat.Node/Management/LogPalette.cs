using System.Globalization;
using System.Threading.Channels;
using static AkkaChat.Node.Management.Specs;

namespace AkkaChat.Node.Management;

/// <summary><c>log</c>: the node's recent log lines, from its <see cref="LogBuffer"/>.</summary>
public sealed class LogPalette(ManagementContext context) : IPalette
{
    public PaletteSpec Spec { get; } = new("log", "recent log lines of this node", [
        Command("peek", "the last N log lines (default 20)").WithOptions(new OptionSpec("-n", "N", "how many lines")),
        Command("tail", "follow new log lines until cancelled").Streaming(),
    ]);

    public async Task RunAsync(ParsedCommand command, Func<string, Task> writeLine, CancellationToken cancel)
    {
        if (command.Spec.Name == "peek")
        {
            var n = 20;
            if (command.Option("-n") is { } text && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n < 1))
            {
                throw new CommandException($"-n must be a positive number, is '{text}'");
            }

            foreach (var line in context.Log.Last(n))
            {
                await writeLine(line);
            }

            return;
        }

        // A slow client loses the oldest lines rather than holding the node's memory.
        var lines = Channel.CreateBounded<string>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
        void OnLine(string line) => lines.Writer.TryWrite(line);
        context.Log.LineAdded += OnLine;
        try
        {
            await foreach (var line in lines.Reader.ReadAllAsync(cancel))
            {
                await writeLine(line);
            }
        }
        finally
        {
            context.Log.LineAdded -= OnLine;
        }
    }
}
