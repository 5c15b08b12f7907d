using System.CommandLine;
using System.Text;
using AkkaChat.Cli;
using AkkaChat.Cli.Commands;

Console.OutputEncoding = Encoding.UTF8;

var root = new RootCommand("akkachat: chat with an AkkaChat node from the command line")
{
    CommonOptions.Server,
    CommonOptions.Plaintext,
    RegisterCommand.Create(),
    SendCommand.Create(),
    ListenCommand.Create(),
    ChatCommand.Create(),
    GroupCommand.Create(),
    PresenceCommand.Create(),
    ContactsCommand.Create(),
    StatusCommand.Create(),
    VerifyCommand.Create(),
};

// `akkachat` alone and `akkachat help [command]` print the help, as --help does.
args = args switch
{
    [] => ["--help"],
    ["help", .. var rest] => [.. rest, "--help"],
    _ => args,
};

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // One line, like every other failure; --help explains the rest.
    Output.Error($"{string.Join(" ", parse.Errors.Select(e => e.Message))} (see 'akkachat --help')");
    return ExitCodes.Usage;
}

return await parse.InvokeAsync();
