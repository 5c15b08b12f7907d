namespace AkkaChat.Node.Hosting;

/// <summary>
/// Command line of the node:
/// <code>
/// AkkaChat.Node [--config FILE] [--port N] [--data-dir DIR] [--set KEY=VALUE]... [--version]
/// </code>
/// --port, --data-dir and --set are shorthands layered over the config file (last wins).
/// </summary>
public sealed record NodeOptions(string? ConfigFile, IReadOnlyList<string> Overrides, bool ShowVersion)
{
    public const string Usage = "usage: AkkaChat.Node [--config FILE] [--port N] [--data-dir DIR] [--set KEY=VALUE]... [--version]";

    public static NodeOptions Parse(string[] args)
    {
        string? configFile = null;
        var overrides = new List<string>();
        var showVersion = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value\n{Usage}");
            switch (args[i])
            {
                case "--config":
                    configFile = Value();
                    break;
                case "--port":
                    overrides.Add($"akkachat.listen.port = {int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture)}");
                    break;
                case "--data-dir":
                    overrides.Add($"akkachat.storage.data-dir = \"{Value().Replace("\\", "\\\\").Replace("\"", "\\\"")}\"");
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

        return new NodeOptions(configFile, overrides, showVersion);
    }
}
