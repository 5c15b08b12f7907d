namespace AkkaChat.Cli;

/// <summary>
/// The nodes a command may talk to, in order: <c>host:port,host:port</c> (each in a form
/// <see cref="ServerAddress"/> accepts). A command logs in to the first that answers, and when its
/// connection drops it moves on to the next one (round robin), as a cluster client should.
/// </summary>
public sealed record ServerList(IReadOnlyList<ServerAddress> Servers)
{
    public static readonly ServerList Default = new([ServerAddress.Default]);

    public int Count => Servers.Count;

    public ServerAddress this[int index] => Servers[((index % Count) + Count) % Count];

    public static bool TryParse(string? text, out ServerList? list)
    {
        list = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var servers = new List<ServerAddress>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!ServerAddress.TryParse(part, out var address))
            {
                return false;
            }

            servers.Add(address);
        }

        list = new ServerList(servers);
        return true;
    }

    public static ServerList Parse(string text) =>
        TryParse(text, out var list) ? list! : throw new CliException($"'{text}' is not a server list (host:port, or several separated by commas)", ExitCodes.Usage);

    public override string ToString() => string.Join(",", Servers);
}
