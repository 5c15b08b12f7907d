using System.CommandLine;

namespace AkkaChat.Conformance.Serve;

/// <summary><c>akkachat-conformance serve --port N [--script NAME]</c>: runs a scripted server until Ctrl+C.</summary>
public static class ServeCommand
{
    public static Command Create(TextWriter output)
    {
        var port = new Option<int>("--port") { Description = "TCP port to listen on (127.0.0.1; 0 picks a free one)", Required = true, HelpName = "n" };
        var script = new Option<string>("--script") { Description = $"What to do: {string.Join(", ", ServeScript.All.Select(s => s.Name))}", DefaultValueFactory = _ => ServeScript.WellBehaved.Name, HelpName = "name" };
        var list = new Option<bool>("--list") { Description = "List the scripts and what a conforming client must do in each" };
        var command = new Command("serve", "Run a scripted server that misbehaves on purpose, for client authors") { port, script, list };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(list))
            {
                foreach (var s in ServeScript.All)
                {
                    await output.WriteLineAsync($"{s.Name}\n  server: {s.What}\n  client must: {s.ClientMust}");
                }

                return ConformanceCli.Ok;
            }

            var chosen = ServeScript.Find(parse.GetValue(script)!);
            if (chosen is null)
            {
                await output.WriteLineAsync($"unknown script '{parse.GetValue(script)}'; scripts are {string.Join(", ", ServeScript.All.Select(s => s.Name))}");
                return ConformanceCli.Usage;
            }

            await output.WriteLineAsync($"script {chosen.Name}: {chosen.What}");
            await output.WriteLineAsync($"a conforming client must: {chosen.ClientMust}");
            await using var server = ScriptedServer.Start(chosen, parse.GetValue(port), line =>
            {
                lock (output)
                {
                    output.WriteLine(line);
                    output.Flush();
                }
            });
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: stop serving
            }

            return ConformanceCli.Ok;
        });
        return command;
    }
}
