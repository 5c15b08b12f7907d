using System.CommandLine;
using System.Text;
using AkkaChat.Pbm;

Console.OutputEncoding = Encoding.UTF8;

// pbm [--token-file FILE] HOST:PORT [COMMAND WORDS...]: System.CommandLine reads pbm's own options and
// the address; the words after the address are the command, checked by the host against its palettes
// (so a palette's options, such as -r, never clash with pbm's).
var split = Invocation.AddressIndex(args);
var tokenFile = new Option<FileInfo?>("--token-file") { Description = "A file holding the management token (or set PBM_TOKEN)" };
var address = new Argument<string>("host:port") { Description = "The node's management host, such as 127.0.0.1:9110" };
var commandWords = new Argument<string[]>("command") { Description = "A command (omit for the interactive prompt), such as: cluster show", Arity = ArgumentArity.ZeroOrMore };
var root = new RootCommand("pbm: manage AkkaChat nodes through their management host") { tokenFile, address, commandWords };
root.SetAction(async (parse, cancel) =>
{
    var words = args[(split + 1)..];
    try
    {
        if (!HostAddress.TryParse(parse.GetValue(address)!, out var host))
        {
            throw new PbmException($"'{parse.GetValue(address)}' is not HOST:PORT", ExitCodes.Usage);
        }

        var token = Invocation.Token(parse.GetValue(tokenFile));
        await using var client = await ManagementClient.ConnectAsync(host, token, cancel);
        var session = new Session(client, host, Console.Out, Console.Error);
        if (words.Length == 0)
        {
            return await session.PromptAsync();
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        return await session.RunAsync(words, stop.Token);
    }
    catch (PbmException e)
    {
        Console.Error.WriteLine($"pbm: {e.Message}");
        return e.ExitCode;
    }
});

var parse = root.Parse(split < 0 ? args : args[..(split + 1)]);
if (parse.Errors.Count > 0)
{
    Console.Error.WriteLine($"pbm: {string.Join(" ", parse.Errors.Select(e => e.Message))} (see 'pbm --help')");
    return ExitCodes.Usage;
}

return await parse.InvokeAsync();
