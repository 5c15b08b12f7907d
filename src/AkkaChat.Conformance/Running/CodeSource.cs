using System.Diagnostics;
using System.Text.RegularExpressions;

namespace AkkaChat.Conformance;

/// <summary>
/// How the kit learns the registration code the server issued for a phone number. A development
/// node reveals it in AUTH_CODE_SENT.dev_code; a production-like node hands it to an SMS sender, and
/// the kit reads it from that sender's output (a file it appends to) or asks a command.
/// </summary>
public abstract partial class CodeSource
{
    public static CodeSource DevCode { get; } = new FromDevCode();

    /// <summary>The newest line of <paramref name="path"/> that names the phone and holds a 6-digit run.</summary>
    public static CodeSource FromFile(string path) => new FromLogFile(path);

    /// <summary>Runs <paramref name="command"/> through /bin/sh with the phone in $AKKACHAT_PHONE and as $1; stdout holds the code.</summary>
    public static CodeSource FromCommand(string command) => new FromShellCommand(command);

    public abstract string Describe();

    public abstract Task<string> CodeForAsync(string phone, string devCode, TimeSpan deadline);

    [GeneratedRegex(@"(?<!\d)\d{6}(?!\d)")]
    private static partial Regex SixDigits();

    private sealed class FromDevCode : CodeSource
    {
        public override string Describe() => "AUTH_CODE_SENT.dev_code";

        public override Task<string> CodeForAsync(string phone, string devCode, TimeSpan deadline) =>
            devCode.Length > 0
                ? Task.FromResult(devCode)
                : throw new CheckFailedException("AUTH_CODE_SENT.dev_code is empty: run the node with akkachat.auth.reveal-codes = on, or pass --code-from-file / --code-command");
    }

    private sealed class FromLogFile(string path) : CodeSource
    {
        // Per phone, the line of the last code handed out: each AUTH_REQUEST_CODE writes a new line,
        // so a second registration of the same number must wait for a line after that one, never
        // take the old code again (the file may lag behind the server).
        private readonly Dictionary<string, int> _lastLine = new();

        public override string Describe() => $"the file {path}";

        public override async Task<string> CodeForAsync(string phone, string devCode, TimeSpan deadline)
        {
            int after;
            lock (_lastLine)
            {
                after = _lastLine.GetValueOrDefault(phone, -1);
            }

            var until = DateTime.UtcNow + deadline;
            while (DateTime.UtcNow < until)
            {
                if (File.Exists(path) && await NewestCodeAsync(phone, after) is { } found)
                {
                    lock (_lastLine)
                    {
                        _lastLine[phone] = found.Line;
                    }

                    return found.Code;
                }

                await Task.Delay(100);
            }

            throw new CheckFailedException($"no new code for {phone} appeared in {path} within {deadline.TotalSeconds:0.#} s");
        }

        private async Task<(string Code, int Line)?> NewestCodeAsync(string phone, int after)
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            (string, int)? found = null;
            var number = -1;
            while (await reader.ReadLineAsync() is { } line)
            {
                number++;
                // The phone must stand alone: +1555000 must not match a line for +15550001.
                var at = line.IndexOf(phone, StringComparison.Ordinal);
                if (number > after && at >= 0 && (at + phone.Length == line.Length || !char.IsAsciiDigit(line[at + phone.Length])))
                {
                    if (SixDigits().Match(line.Remove(at, phone.Length)) is { Success: true } m)
                    {
                        found = (m.Value, number);
                    }
                }
            }

            return found;
        }
    }

    private sealed class FromShellCommand(string command) : CodeSource
    {
        public override string Describe() => $"the command `{command}`";

        public override async Task<string> CodeForAsync(string phone, string devCode, TimeSpan deadline)
        {
            var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { "-c", command, "akkachat-conformance", phone })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["AKKACHAT_PHONE"] = phone;
            using var process = Process.Start(start) ?? throw new CheckFailedException($"cannot run `{command}`");
            using var cts = new CancellationTokenSource(deadline);
            try
            {
                var output = await process.StandardOutput.ReadToEndAsync(cts.Token);
                await process.WaitForExitAsync(cts.Token);
                return SixDigits().Match(output) is { Success: true } m
                    ? m.Value
                    : throw new CheckFailedException($"`{command}` printed no 6-digit code for {phone}");
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new CheckFailedException($"`{command}` gave no code for {phone} within {deadline.TotalSeconds:0.#} s");
            }
        }
    }
}
