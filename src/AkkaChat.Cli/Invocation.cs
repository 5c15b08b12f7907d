using System.CommandLine;
using AkkaChat.Client;

namespace AkkaChat.Cli;

/// <summary>What one command run knows about itself: the node it talks to, for error messages.</summary>
public sealed class Invocation
{
    public ServerAddress? Server { get; set; }

    public static ClientOptions ClientOptionsFor(ServerAddress server) => new()
    {
        Host = server.Host,
        Port = server.Port,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        RequestTimeout = TimeSpan.FromSeconds(20),
        ReconnectMaxDelay = TimeSpan.FromSeconds(5),
    };

    /// <summary>Logs in as a stored user; <paramref name="server"/> overrides the server the user registered with.</summary>
    public async Task<(AkkaChatClient Client, LoginResult Login)> LoginAsync(StoredUser user, string? server, CancellationToken ct)
    {
        Server = Servers.Resolve(server, user.Server);
        var client = new AkkaChatClient(ClientOptionsFor(Server));
        try
        {
            var login = await client.LoginAsync(user.ToCredentials(), ct);
            return (client, login);
        }
        catch (AkkaChatException e) when (e.Code == AkkaChat.Protocol.ErrorCode.AuthFailed)
        {
            await client.DisposeAsync();
            throw new CliException($"authentication failed for {user.Phone} on {Server}: {e.Message} (register again with 'akkachat register {user.Phone}')");
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }
}

/// <summary>Which node a command talks to.</summary>
public static class Servers
{
    /// <summary>The environment variable naming the default node, as host:port.</summary>
    public const string Variable = "AKKACHAT_SERVER";

    /// <summary><c>--server</c>, else the server the user registered with, else <c>$AKKACHAT_SERVER</c>, else localhost:4700.</summary>
    public static ServerAddress Resolve(string? option, string? stored = null)
    {
        if (option is not null)
        {
            return ServerAddress.Parse(option);
        }

        if (stored is not null && ServerAddress.TryParse(stored, out var registered))
        {
            return registered;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(Variable);
        return string.IsNullOrWhiteSpace(fromEnvironment) ? ServerAddress.Default : ServerAddress.Parse(fromEnvironment);
    }
}

/// <summary>Options several commands share.</summary>
public static class CommonOptions
{
    public static readonly Option<string?> Server = new("--server")
    {
        Description = $"The node, as host:port (default: the server the user registered with, ${Servers.Variable}, or localhost:4700)",
        HelpName = "host:port",
        Recursive = true,
    };

    public static readonly Option<string?> As = new("--as")
    {
        Description = "Act as this registered user (default: the last one registered)",
        HelpName = "phone",
    };

    /// <summary>Runs <paramref name="action"/> as the command's action: one line and a non-zero exit code for every failure.</summary>
    public static void SetFailSafeAction(this Command command, Func<ParseResult, Invocation, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, ct) =>
        {
            var invocation = new Invocation();
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
