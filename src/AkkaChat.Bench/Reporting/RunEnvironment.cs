using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace AkkaChat.Bench.Reporting;

/// <summary>The machine a run was measured on.</summary>
public sealed class MachineReport
{
    public required string Name { get; init; }

    public required int ProcessorCount { get; init; }

    public long? TotalMemoryBytes { get; init; }

    public required string Os { get; init; }

    public required string Runtime { get; init; }

    /// <summary>1-minute load average when the run began and ended: other work on the machine shows here.</summary>
    public double? LoadAverageAtStart { get; init; }

    public double? LoadAverageAtEnd { get; set; }

    public static MachineReport Current() => new()
    {
        Name = System.Environment.MachineName,
        ProcessorCount = System.Environment.ProcessorCount,
        TotalMemoryBytes = ProcFile.ReadKilobytes("/proc/meminfo", "MemTotal:"),
        Os = RuntimeInformation.OSDescription,
        Runtime = RuntimeInformation.FrameworkDescription,
        LoadAverageAtStart = ProcFile.LoadAverage(),
    };
}

/// <summary>Figures read from Linux's /proc files.</summary>
public static class ProcFile
{
    /// <summary>A "Key:   123 kB" line of a /proc file, in bytes; null when the file or line is missing.</summary>
    public static long? ReadKilobytes(string path, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    var parts = line[key.Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // not Linux, or the process is gone
        }

        return null;
    }

    /// <summary>The 1-minute load average (first field of /proc/loadavg).</summary>
    public static double? LoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(first, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// CPU time a process has used so far: utime + stime of /proc/&lt;pid&gt;/stat (fields 14 and 15, in
    /// clock ticks of 1/100 s, USER_HZ on Linux). Null when the process is gone or /proc is missing.
    /// </summary>
    public static TimeSpan? CpuTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromMilliseconds(ticks * 10);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Resident set size of a process (VmRSS of /proc/PID/status), in bytes.</summary>
    public static long? RssBytes(int pid) => ReadKilobytes($"/proc/{pid}/status", "VmRSS:");
}

/// <summary>The git commit the bench runs in (the working directory's repository).</summary>
public static class GitCommit
{
    public static (string Commit, bool Dirty) Current()
    {
        var commit = Git("rev-parse", "--short", "HEAD")?.Trim();
        if (string.IsNullOrEmpty(commit))
        {
            return ("unknown", false);
        }

        var status = Git("status", "--porcelain", "--untracked-files=no");
        return (commit, !string.IsNullOrWhiteSpace(status));
    }

    private static string? Git(params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            using var git = Process.Start(start);
            if (git is null)
            {
                return null;
            }

            var output = git.StandardOutput.ReadToEnd();
            git.WaitForExit(5000);
            return git.ExitCode == 0 ? output : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null; // no git
        }
    }
}
