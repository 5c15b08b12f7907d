using System.Diagnostics;
using System.Text;
using System.Text.Json;
using AkkaChat.TestKit;

namespace AkkaChat.Cli.Tests;

/// <summary>
/// What a new user meets in the first hour with akkachat (issue 18), driven as they would drive it:
/// real processes, a real node, and a pseudo-terminal where the chat needs one.
/// </summary>
[Trait("Category", "Slow")]
public sealed class FirstHourTests(NodeFixture fixture) : IClassFixture<NodeFixture>, IDisposable
{
    private readonly TempHome _home = new();
    private readonly string _server = fixture.Server;

    private string Home => _home.Path;

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Akkachat_with_no_command_and_akkachat_help_print_the_help()
    {
        var bare = await CliProcess.RunAsync(Home);
        var help = await CliProcess.RunAsync(Home, "help");
        var helpSend = await CliProcess.RunAsync(Home, "help", "send");

        foreach (var result in new[] { bare, help })
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains("Usage:", result.Stdout);
            Assert.Contains("register", result.Stdout);
            Assert.Contains("chat", result.Stdout);
            Assert.DoesNotContain("error", result.Stderr);
        }

        Assert.True(helpSend.ExitCode == 0, helpSend.ToString());
        Assert.Contains("send <to> [<text>]", helpSend.Stdout);
        Assert.Contains("--file", helpSend.Stdout);
    }

    [Fact]
    public async Task Send_refuses_an_empty_or_blank_message()
    {
        var (alice, bob) = await RegisterTwoAsync();

        var empty = await CliProcess.RunAsync(Home, "send", bob, "", "--as", alice);
        var blank = await CliProcess.RunAsync(Home, "send", bob, "   ", "--as", alice);
        var listened = await CliProcess.RunAsync(Home, "listen", "--as", bob, "--timeout", "1s");

        AssertOneLineError(empty, 2, "the message is empty");
        AssertOneLineError(blank, 2, "the message is empty");
        Assert.DoesNotContain($"{alice}:", listened.Stdout);
    }

    [Fact]
    public async Task A_message_larger_than_one_frame_is_refused_with_its_size_and_the_limit()
    {
        var (alice, bob) = await RegisterTwoAsync();

        var result = await CliProcess.RunAsync(Home, "send", bob, new string('x', 70_000), "--as", alice);

        AssertOneLineError(result, 2, $"the message is 70,000 bytes; one message holds at most {MessageLimits.Format(MessageLimits.MaxTextBytes(bob))} bytes");
    }

    [Fact]
    public async Task A_message_the_node_finds_too_large_is_refused_with_its_size()
    {
        var (alice, bob) = await RegisterTwoAsync();

        // Fits in a frame, but over the node's default akkachat.limits.max-body-bytes (64,000).
        var result = await CliProcess.RunAsync(Home, "send", bob, new string('x', 65_000), "--as", alice);

        AssertOneLineError(result, 1, "too large: the message is 65,000 bytes");
    }

    [Fact]
    public async Task The_id_send_prints_is_the_id_on_the_receipt_listen_prints()
    {
        var (alice, bob) = await RegisterTwoAsync();

        var sent = await CliProcess.RunAsync(Home, "send", bob, "match me", "--as", alice);
        await CliProcess.RunAsync(Home, "listen", "--as", bob, "--count", "1", "--timeout", "20s");
        var receipts = await CliProcess.RunAsync(Home, "listen", "--as", alice, "--count", "1", "--timeout", "20s");

        Assert.True(sent.ExitCode == 0, sent.ToString());
        var id = System.Text.RegularExpressions.Regex.Match(sent.Stdout, @"\(id ([0-9a-f]+)\)").Groups[1].Value;
        Assert.NotEmpty(id);
        Assert.Contains($"delivered to {bob} (id {id})", receipts.Stdout);
    }

    [Fact]
    public async Task Chat_does_not_send_blank_lines()
    {
        var (alice, bob) = await RegisterTwoAsync();
        await using var chat = CliProcess.Start(Home, "chat", bob, "--as", alice);
        await chat.WaitForLineAsync(l => l.StartsWith("chatting with"), "the chat is logged in", stderr: true);

        chat.WriteLine("   ");
        chat.WriteLine("");
        chat.WriteLine("real");
        await chat.WaitForLineAsync(l => l.EndsWith("you: real  ✓"), "the real line is stored");
        chat.CloseInput();
        await chat.WaitForExitAsync();
        var listened = await CliProcess.RunAsync(Home, "listen", "--as", bob, "--count", "2", "--timeout", "3s", "--json");

        Assert.DoesNotContain(chat.Stdout.Split('\n'), l => l.Contains("you:  "));
        var texts = listened.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToArray();
        Assert.Equal(["real"], texts);
    }

    [Fact]
    public async Task Send_as_a_user_whose_chat_is_open_warns_and_the_chat_says_what_replaced_it()
    {
        var (alice, bob) = await RegisterTwoAsync();
        await using var chat = CliProcess.Start(Home, "chat", bob, "--as", alice);
        await chat.WaitForLineAsync(l => l.StartsWith("chatting with"), "the chat is logged in", stderr: true);

        var sent = await CliProcess.RunAsync(Home, "send", bob, "from elsewhere", "--as", alice);
        var ended = await chat.WaitForExitAsync();

        Assert.True(sent.ExitCode == 0, sent.ToString());
        Assert.Contains($"warning: {alice} is logged in by 'akkachat chat {bob}'", sent.Stderr);
        Assert.Contains("ends that session", sent.Stderr);
        Assert.Equal(1, ended.ExitCode);
        Assert.Contains("'akkachat send'", ended.Stderr);
        Assert.Contains("ended this chat", ended.Stderr);
    }

    [Fact]
    public async Task Register_with_a_server_list_skips_a_node_that_is_down()
    {
        var phone = TestPhones.New();
        var dead = $"127.0.0.1:{NodeProcess.FreePort()}";

        var result = await CliProcess.RunAsync(Home, "register", phone, "--dev", "--server", $"{dead},{_server}");
        var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Home, "credentials", phone + ".json")));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"registered {phone} on {_server}", result.Stdout);
        Assert.Equal($"{dead},{_server}", json.RootElement.GetProperty("server").GetString());
    }

    [Fact]
    public async Task The_server_list_can_come_from_the_environment()
    {
        var phone = TestPhones.New();
        var dead = $"127.0.0.1:{NodeProcess.FreePort()}";

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { CliProcess.Assembly, "register", phone, "--dev" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["AKKACHAT_HOME"] = Home;
        start.Environment["AKKACHAT_SERVER"] = $"{dead},{_server}";
        using var process = Process.Start(start)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, stdout + stderr);
        Assert.Contains($"registered {phone} on {_server}", stdout);
    }

    [Fact]
    public async Task Pasting_66_KB_into_a_chat_on_a_terminal_is_cut_at_the_limit_with_a_counter_and_the_chat_stays_responsive()
    {
        var (alice, bob) = await RegisterTwoAsync();
        var limit = MessageLimits.MaxTextBytes(bob);
        await using var terminal = PseudoTerminal.Start(Home, "chat", bob, "--as", alice);
        await terminal.WaitForAsync("chatting with", "the chat is logged in");

        // One key first: once it is echoed on the prompt, the terminal is in raw mode and the
        // chat reads keys, so the paste is not cut by the line discipline's buffer.
        await terminal.TypeAsync("x");
        await terminal.WaitForAsync("> \e[0mx", "the prompt shows the first key");
        await terminal.TypeAsync(new string('x', 66 * 1024));
        // 66 K keys, each read and decoded by the console one by one: seconds when idle, longer on a
        // loaded machine; the deadline allows for that, the assertion is what the counter shows.
        await terminal.WaitForAsync($"[{MessageLimits.Format(limit)}/{MessageLimits.Format(limit)} bytes, full]", "the counter says the input is full", TimeSpan.FromMinutes(2));
        await terminal.TypeAsync("\r");
        // The fixture's node keeps its default body limit (64,000 bytes), below what a frame holds:
        // it refuses the line, and the chat says how large it was.
        await terminal.WaitForAsync($"too large: the message is {MessageLimits.Format(limit)} bytes", "the node's refusal, with the size");
        await terminal.TypeAsync("short one\r");
        var listened = await CliProcess.RunAsync(Home, "listen", "--as", bob, "--count", "1", "--timeout", "20s", "--json");
        await terminal.TypeAsync("\u0004"); // Ctrl+D on the empty prompt leaves
        var exit = await terminal.WaitForExitAsync();

        Assert.True(listened.ExitCode == 0, listened.ToString());
        Assert.Equal("short one", JsonDocument.Parse(listened.Stdout.Trim()).RootElement.GetProperty("text").GetString());
        Assert.Equal(0, exit);
    }

    [Fact]
    public async Task A_long_message_received_on_a_narrow_terminal_is_broken_at_spaces_with_no_word_cut()
    {
        var (alice, bob) = await RegisterTwoAsync();
        const int columns = 40;
        await using var terminal = PseudoTerminal.Start(Home, columns, "chat", alice, "--as", bob);
        await terminal.WaitForAsync("chatting with", "the chat is logged in");

        // Long words of different lengths, so a break by cell count alone would fall inside one.
        const string text = "alpha wonderfully extraordinary messages arrive unexpectedly, "
            + "and a reader should never see half a word hanging at the terminal's edge: "
            + "internationalization notwithstanding omega";
        var sent = await CliProcess.RunAsync(Home, "send", bob, text, "--as", alice);
        Assert.True(sent.ExitCode == 0, sent.ToString());
        await terminal.WaitForAsync("omega", "the received message");

        // The raw output: the message's rows are written from the start of the prompt row
        // (cleared with ESC[2K) to its last word, each row ended by CR LF (CR CR LF once the
        // terminal's output processing has added its own CR).
        var transcript = terminal.Transcript;
        var last = transcript.IndexOf("omega", StringComparison.Ordinal) + "omega".Length;
        var first = transcript.LastIndexOf("\e[2K", transcript.LastIndexOf("alpha", last, StringComparison.Ordinal), StringComparison.Ordinal) + "\e[2K".Length;
        var rows = System.Text.RegularExpressions.Regex.Replace(transcript[first..last], "\e\\[[0-9;?]*[A-Za-z]", string.Empty)
            .Split('\n').Select(r => r.TrimEnd('\r')).ToArray();

        Assert.True(rows.Length >= 5, $"expected the message on several rows of {columns} cells:\n{string.Join("\n", rows)}");
        Assert.All(rows, row => Assert.True(row.Length <= columns, $"a row wider than the terminal: '{row}'"));
        Assert.All(rows, row => Assert.False(row.StartsWith(' ') || row.EndsWith(' '), $"a break kept its space: '{row}'"));
        // Joined again with one space each, the rows are the message: every break was at a space.
        var joined = string.Join(" ", rows);
        Assert.Equal(text, joined[joined.IndexOf("alpha", StringComparison.Ordinal)..]);
        Assert.Contains(alice, rows[0]);

        await terminal.TypeAsync("\u0004"); // Ctrl+D on the empty prompt leaves
        Assert.Equal(0, await terminal.WaitForExitAsync());
    }

    private async Task<(string Alice, string Bob)> RegisterTwoAsync()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        foreach (var phone in new[] { alice, bob })
        {
            var result = await CliProcess.RunAsync(Home, "register", phone, "--dev", "--server", _server);
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        return (alice, bob);
    }

    private static void AssertOneLineError(CliResult result, int exitCode, string expected)
    {
        Assert.True(result.ExitCode == exitCode, $"expected exit {exitCode}\n{result}");
        var errors = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("akkachat: error: ")).ToArray();
        Assert.True(errors.Length == 1, $"expected one error line\n{result}");
        Assert.Contains(expected, errors[0]);
    }
}

/// <summary>akkachat on a pseudo-terminal (util-linux <c>script</c>), typed into as a user types, with the raw transcript kept.</summary>
public sealed class PseudoTerminal : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _transcript = new();
    private readonly Task _reading;

    private PseudoTerminal(Process process)
    {
        _process = process;
        _reading = Task.Run(async () =>
        {
            var buffer = new char[8192];
            int n;
            while ((n = await process.StandardOutput.ReadAsync(buffer)) > 0)
            {
                lock (_transcript)
                {
                    _transcript.Append(buffer, 0, n);
                }
            }
        });
    }

    public string Transcript
    {
        get
        {
            lock (_transcript)
            {
                return _transcript.ToString();
            }
        }
    }

    public static PseudoTerminal Start(string home, params string[] args) => Start(home, 120, args);

    /// <summary>akkachat on a terminal <paramref name="columns"/> wide and 40 rows high.</summary>
    public static PseudoTerminal Start(string home, int columns, params string[] args)
    {
        // script's own terminal has no size without a terminal around it: stty gives it one.
        var command = $"stty cols {columns} rows 40; exec " + string.Join(" ", new[] { "dotnet", CliProcess.Assembly }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''") + "'"));
        var start = new ProcessStartInfo("script")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var arg in new[] { "-qfec", command, "/dev/null" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["AKKACHAT_HOME"] = home;
        start.Environment["TERM"] = "xterm";
        start.Environment.Remove("AKKACHAT_SERVER");
        return new PseudoTerminal(Process.Start(start) ?? throw new InvalidOperationException("could not start script"));
    }

    public async Task TypeAsync(string keys)
    {
        await _process.StandardInput.WriteAsync(keys);
        await _process.StandardInput.FlushAsync();
    }

    public async Task WaitForAsync(string text, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? CliProcess.Timeout);
        while (!Transcript.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the terminal never showed what {what} ({(_process.HasExited ? $"exited with {_process.ExitCode}" : "timed out")}); transcript ends:\n{Tail()}");
            }

            await Task.Delay(50); // polling the transcript; the condition has a deadline
        }
    }

    public async Task<int> WaitForExitAsync()
    {
        using var cts = new CancellationTokenSource(CliProcess.Timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"akkachat on the terminal did not exit; transcript ends:\n{Tail()}");
        }

        await _reading;
        return _process.ExitCode;
    }

    private string Tail()
    {
        var all = Transcript;
        return all.Length > 2000 ? all[^2000..] : all;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
