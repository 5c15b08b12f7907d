using System.CommandLine;
using AkkaChat.Client;

namespace AkkaChat.Cli;

/// <summary>What one command run knows about itself: the node it talks to, for error messages.</summary>
public sealed class Invocation
{
    public ServerAddress? Server { get; set; }

    /// <summary><c>--plaintext</c>: this run sends without end-to-end encryption and shows received envelopes undecrypted.</summary>
    public static bool Plaintext { get; set; }

    public static ClientOptions ClientOptionsFor(ServerAddress server) => new()
    {
        // The key store (identity, prekeys, sessions; 0600) lives beside the credentials it belongs to.
        Encryption = !Plaintext,
        KeyStoreDirectory = CredentialStore.FromEnvironment().CredentialsDirectory,
        Host = server.Host,
        Port = server.Port,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        RequestTimeout = TimeSpan.FromSeconds(20),
        ReconnectMaxDelay = TimeSpan.FromSeconds(5),
    };

    /// <summary>
    /// Logs in as a stored user on the first node of the list that answers; <paramref name="server"/>
    /// (<c>--server</c>) overrides the servers the user registered with.
    /// </summary>
    public async Task<ChatSession> LoginAsync(StoredUser user, string? server, CancellationToken ct)
    {
        var servers = Servers.Resolve(server, user.Server);
        try
        {
            return await ChatSession.LoginAsync(servers, user.ToCredentials(), ClientOptionsFor, s => Server = s, ct);
        }
        catch (AkkaChatException e) when (e.Code == AkkaChat.Protocol.ErrorCode.AuthFailed)
        {
            throw new CliException($"authentication failed for {user.Phone} on {Server}: {e.Message} (register again with 'akkachat register {user.Phone}')");
        }
    }
}

/// <summary>Which nodes a command talks to.</summary>
public static class Servers
{
    /// <summary>The environment variable naming the default nodes, as host:port[,host:port...].</summary>
    public const string Variable = "AKKACHAT_SERVER";

    /// <summary><c>--server</c>, else the servers the user registered with, else <c>$AKKACHAT_SERVER</c>, else localhost:4700.</summary>
    public static ServerList Resolve(string? option, string? stored = null)
    {
        if (option is not null)
        {
            return ServerList.Parse(option);
        }

        if (stored is not null && ServerList.TryParse(stored, out var registered))
        {
            return registered!;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(Variable);
        return string.IsNullOrWhiteSpace(fromEnvironment) ? ServerList.Default : ServerList.Parse(fromEnvironment);
    }
}

/// <summary>Options several commands share.</summary>
public static class CommonOptions
{
    public static readonly Option<string?> Server = new("--server")
    {
        Description = $"The node, as host:port, or several separated by commas (tried in turn; a dropped connection moves to the next). Default: the servers the user registered with, ${Servers.Variable}, or localhost:4700",
        HelpName = "host:port[,host:port...]",
        Recursive = true,
    };

    public static readonly Option<string?> As = new("--as")
    {
        Description = "Act as this registered user (default: the last one registered)",
        HelpName = "phone",
    };

    public static readonly Option<bool> Plaintext = new("--plaintext")
    {
        Description = "Send without end-to-end encryption and show received envelopes as they came (for debugging; encryption is on by default)",
        Recursive = true,
    };

    /// <summary>Runs <paramref name="action"/> as the command's action: one line and a non-zero exit code for every failure.</summary>
    public static void SetFailSafeAction(this Command command, Func<ParseResult, Invocation, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, ct) =>
        {
            var invocation = new Invocation();
            Invocation.Plaintext = parse.GetValue(Plaintext);
            try
            {
                return await action(parse, invocation, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return ExitCodes.Ok; // Ctrl+C
            }
            catch (Exception e)
            {
                var (message, exitCode) = Failures.Describe(e, invocation.Server);
                Output.Error(message);
                return exitCode;
            }
        });
    }
}
