using System.CommandLine;
using System.Text;
using AkkaChat.Cli;
using AkkaChat.Cli.Commands;

Console.OutputEncoding = Encoding.UTF8;

var root = new RootCommand("akkachat: chat with an AkkaChat node from the command line")
{
    CommonOptions.Server,
    RegisterCommand.Create(),
    SendCommand.Create(),
    ListenCommand.Create(),
    ChatCommand.Create(),
    GroupCommand.Create(),
};

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // One line, like every other failure; --help explains the rest.
    Output.Error($"{string.Join(" ", parse.Errors.Select(e => e.Message))} (see 'akkachat --help')");
    return ExitCodes.Usage;
}

return await parse.InvokeAsync();
