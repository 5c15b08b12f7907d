using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace AkkaChat.Bench.Tests;

/// <summary>One finished run of akkachat-bench as a process: its exit code, its output, and the result files it wrote.</summary>
public sealed record BenchResult(int ExitCode, string Output, string OutDirectory)
{
    public string JsonFile => Directory.GetFiles(OutDirectory, "*.json").Single();

    public string MarkdownFile => Directory.GetFiles(OutDirectory, "*.md").Single();

    public JsonElement Json => JsonDocument.Parse(File.ReadAllText(JsonFile)).RootElement;

    public string Markdown => File.ReadAllText(MarkdownFile);
}

/// <summary>Runs the built akkachat-bench exactly as from a shell: <c>dotnet akkachat-bench.dll ARGS --out DIR</c>.</summary>
public static class BenchProcess
{
    private static readonly string BenchAssembly = typeof(BenchProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "AkkaChat.BenchAssembly").Value!;

    public static async Task<BenchResult> RunAsync(TimeSpan deadline, params string[] args)
    {
        var outDirectory = Directory.CreateTempSubdirectory("akkachat-bench-test-").FullName;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = outDirectory,
        };
        start.ArgumentList.Add(BenchAssembly);
        foreach (var arg in args.Concat(["--out", outDirectory]))
        {
            start.ArgumentList.Add(arg);
        }

        var output = new StringBuilder();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start akkachat-bench");
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(deadline);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"akkachat-bench {string.Join(' ', args)} did not finish within {deadline}:\n{Text(output)}");
        }

        process.WaitForExit(); // the end of the redirected output
        return new BenchResult(process.ExitCode, Text(output), outDirectory);
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
