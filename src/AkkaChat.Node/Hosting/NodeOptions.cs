namespace AkkaChat.Node.Hosting;

/// <summary>
/// Command line of the node:
/// <code>
/// AkkaChat.Node [--config FILE] [--port N] [--data-dir DIR] [--remote-port N] [--seed HOST:PORT]...
///               [--set KEY=VALUE]... [--version]
/// </code>
/// Everything but --config and --version is a shorthand for a HOCON line layered over the config
/// file, in order (the last one for a key wins). --seed may be repeated; all seeds go into
/// akkachat.cluster.seed-nodes (--remote-port sets akkachat.cluster.port). Relative --config and --data-dir paths are made absolute against the
/// directory the node was started from (with <c>dotnet run</c> that is the caller's directory:
/// the project sets RunWorkingDirectory to it), so errors and the banner name the full path.
/// </summary>
public sealed record NodeOptions(string? ConfigFile, IReadOnlyList<string> Overrides, bool ShowVersion)
{
    public const string Usage =
        "usage: AkkaChat.Node [--config FILE] [--port N] [--data-dir DIR] [--remote-port N] [--seed HOST:PORT]... [--set KEY=VALUE]... [--version]";

    public static NodeOptions Parse(string[] args)
    {
        string? configFile = null;
        var overrides = new List<string>();
        var showVersion = false;
        var seeds = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value\n{Usage}");
            switch (args[i])
            {
                case "--config":
                    configFile = Path.GetFullPath(Value());
                    break;
                case "--port":
                    overrides.Add($"akkachat.listen.port = {int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture)}");
                    break;
                case "--data-dir":
                    overrides.Add($"akkachat.storage.data-dir = \"{Path.GetFullPath(Value()).Replace("\\", "\\\\").Replace("\"", "\\\"")}\"");
                    break;
                case "--remote-port":
                    overrides.Add($"akkachat.cluster.port = {int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture)}");
                    break;
                case "--seed":
                    seeds.Add(Value());
                    break;
                case "--set":
                    overrides.Add(Value());
                    break;
                case "--version":
                    showVersion = true;
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{args[i]}'\n{Usage}");
            }
        }

        if (seeds.Count > 0)
        {
            overrides.Add($"akkachat.cluster.seed-nodes = [{string.Join(", ", seeds.Select(SeedAddress))}]");
        }

        return new NodeOptions(configFile, overrides, showVersion);
    }

    /// <summary>HOST:PORT of a seed's remoting endpoint as an Akka address (already full addresses pass through).</summary>
    private static string SeedAddress(string seed) =>
        seed.StartsWith("akka.tcp://", StringComparison.Ordinal)
            ? $"\"{seed}\""
            : seed.Split(':') is [var host, var port] && int.TryParse(port, out _)
                ? $"\"akka.tcp://{AkkaChatHostingExtensions.ActorSystemName}@{host}:{port}\""
                : throw new ArgumentException($"--seed '{seed}' is not HOST:PORT\n{Usage}");
}
