using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using AkkaChat.TestKit;

namespace AkkaChat.Pbm.Tests;

/// <summary>What one run of the real pbm printed.</summary>
public sealed record PbmResult(int ExitCode, string Output, string Errors)
{
    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}--- stderr\n{Errors}";
}

/// <summary>Runs the pbm built with these tests as a process, and finds a node's management port in its log.</summary>
public static partial class PbmProcess
{
    public static string Assembly { get; } =
        typeof(PbmProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "AkkaChat.PbmAssembly").Value!;

    public static async Task<PbmResult> RunAsync(int managementPort, string? tokenFile, params string[] words)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Assembly);
        if (tokenFile is not null)
        {
            start.ArgumentList.Add("--token-file");
            start.ArgumentList.Add(tokenFile);
        }

        start.ArgumentList.Add($"127.0.0.1:{managementPort}");
        foreach (var word in words)
        {
            start.ArgumentList.Add(word);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(deadline.Token);
        return new PbmResult(process.ExitCode, await output, await errors);
    }

    /// <summary>The port the node's management host logged it listens on (test nodes take a free one).</summary>
    public static async Task<int> ManagementPortAsync(NodeProcess node)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < until)
        {
            if (ListeningOn().Match(node.Output) is { Success: true } match)
            {
                return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{node.Name} did not log its management port:\n{node.Output}");
    }

    [GeneratedRegex(@"Management host listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningOn();
}
