using System.Diagnostics;

namespace AkkaChat.Cli;

/// <summary>
/// One session per user: a login ends that user's other session (REPLACED). So that akkachat can
/// warn before it ends a chat or listen of the same user on this machine, and the ended one can say
/// what replaced it, each logged-in command leaves a mark while it runs:
/// <c>$AKKACHAT_HOME/sessions/&lt;phone&gt;</c> holding "pid command". A mark whose process is
/// gone is ignored. Sessions on other machines are not seen.
/// </summary>
public sealed class SessionMarks(string home)
{
    private string Directory => Path.Combine(home, "sessions");

    private string FileOf(string phone) => Path.Combine(Directory, phone);

    /// <summary>The other live akkachat process logged in as <paramref name="phone"/>, if any.</summary>
    public (int Pid, string Command)? Live(string phone)
    {
        try
        {
            var parts = File.ReadAllText(FileOf(phone)).Trim().Split(' ', 2);
            if (parts.Length == 2 && int.TryParse(parts[0], out var pid) && pid != Environment.ProcessId && IsRunning(pid))
            {
                return (pid, parts[1]);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>Marks this process as the one logged in as <paramref name="phone"/>; disposing removes the mark if it is still ours.</summary>
    public IDisposable Claim(string phone, string command)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var file = FileOf(phone);
        var mine = $"{Environment.ProcessId} {command}";
        File.WriteAllText(file, mine);
        return new Mark(file, mine);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private sealed class Mark(string file, string mine) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                if (File.Exists(file) && File.ReadAllText(file) == mine)
                {
                    File.Delete(file);
                }
            }
            catch (IOException)
            {
            }
        }
    }
}
