using System.Runtime.Versioning;
using System.Text.Json;
using System.Text.RegularExpressions;
using AkkaChat.TestKit;

namespace AkkaChat.Cli.Tests;

/// <summary>presence watch, contacts sync, status post and feed, and typing in chat, as a user runs them against a real node.</summary>
[Trait("Category", "Slow")]
public sealed class SocialCliTests(NodeFixture fixture) : IClassFixture<NodeFixture>, IDisposable
{
    private readonly TempHome _home = new();
    private readonly string _server = fixture.Server;

    private string Home => _home.Path;

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Contacts_sync_prints_the_registered_numbers_of_the_file_and_names_the_lines_it_skipped()
    {
        var (alice, bob, carol) = await RegisterThreeAsync();
        var stranger = TestPhones.New();
        var file = Path.Combine(Home, "contacts.txt");
        await File.WriteAllLinesAsync(file, ["# friends", carol, "", stranger, "555-1234", "  " + bob + "  "]);

        var result = await CliProcess.RunAsync(Home, "contacts", "sync", file, "--as", alice);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"{carol}\n{bob}\n", result.Stdout);
        Assert.Contains("skipped '555-1234'", result.Stderr);
        Assert.Contains("3 numbers, 2 registered", result.Stderr);
    }

    [Fact]
    public async Task Contacts_sync_of_a_missing_file_is_a_usage_error()
    {
        var (alice, _) = await RegisterTwoAsync();

        var result = await CliProcess.RunAsync(Home, "contacts", "sync", "no-such.txt", "--as", alice);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no such file:", result.Stderr);
    }

    [Fact]
    public async Task Presence_watch_prints_the_state_at_once_then_online_then_offline_with_last_seen()
    {
        var (alice, bob) = await RegisterTwoAsync();
        await SyncAsync(alice, bob);
        await using var watch = CliProcess.Start(Home, "presence", "watch", bob, "--as", alice, "--count", "3", "--timeout", "60s");
        await watch.WaitForLineAsync(l => Regex.IsMatch(l, $@"\{bob} offline, last seen (unknown|\d\d:\d\d:\d\d)$"), "the state at once");

        var bobOnline = await CliProcess.RunAsync(Home, "listen", "--as", bob, "--timeout", "2s");
        var watched = await watch.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(bobOnline.ExitCode == 0, bobOnline.ToString());
        Assert.True(watched.ExitCode == 0, watched.ToString());
        var lines = watched.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.EndsWith($"{bob} online", lines[1]);
        Assert.Matches($@"\{bob} offline, last seen \d\d:\d\d:\d\d$", lines[2]);
    }

    [Fact]
    public async Task Presence_watch_of_a_number_outside_the_address_book_shows_it_offline_with_last_seen_unknown()
    {
        var (alice, bob) = await RegisterTwoAsync();
        await using var bobListening = CliProcess.Start(Home, "listen", "--as", bob, "--timeout", "60s");
        await bobListening.WaitForLineAsync(l => l.StartsWith("listening as"), "bob is online", stderr: true);

        var watched = await CliProcess.RunAsync(Home, "presence", "watch", bob, "--as", alice, "--count", "1", "--timeout", "20s", "--json");

        Assert.True(watched.ExitCode == 0, watched.ToString());
        using var json = JsonDocument.Parse(watched.Stdout.Trim());
        Assert.Equal(("presence", bob, false, JsonValueKind.Null),
            (json.RootElement.GetProperty("type").GetString(), json.RootElement.GetProperty("phone").GetString(),
             json.RootElement.GetProperty("online").GetBoolean(), json.RootElement.GetProperty("last_seen").ValueKind));
    }

    [Fact]
    public async Task A_posted_text_and_file_status_arrive_in_a_mutual_contacts_feed_with_their_expiry()
    {
        var (alice, bob) = await RegisterTwoAsync();
        await SyncAsync(alice, bob);
        await SyncAsync(bob, alice);
        var picture = Path.Combine(Home, "beach.jpg");
        await File.WriteAllBytesAsync(picture, Enumerable.Range(0, 5_000).Select(i => (byte)i).ToArray());

        var text = await CliProcess.RunAsync(Home, "status", "post", "at the beach", "--as", alice);
        var photo = await CliProcess.RunAsync(Home, "status", "post", "--file", picture, "sunset", "--web", $"http://127.0.0.1:{fixture.Node.WebPort}", "--as", alice);
        var feed = await CliProcess.RunAsync(Home, "status", "feed", "--as", bob, "--count", "2", "--timeout", "30s", "--json");
        var plain = await CliProcess.RunAsync(Home, "status", "post", "again", "--as", alice) is { ExitCode: 0 }
            ? await CliProcess.RunAsync(Home, "status", "feed", "--as", bob, "--count", "1", "--timeout", "30s")
            : throw new InvalidOperationException("the third post failed");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("status posted", text.Stdout);
        Assert.True(photo.ExitCode == 0, photo.ToString());
        Assert.Contains("status posted: image beach.jpg", photo.Stdout);
        Assert.True(feed.ExitCode == 0, feed.ToString());
        var statuses = feed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(2, statuses.Length);
        Assert.Equal(("status", alice, "text", "at the beach"), (statuses[0].GetProperty("type").GetString(), statuses[0].GetProperty("from").GetString(), statuses[0].GetProperty("kind").GetString(), statuses[0].GetProperty("text").GetString()));
        Assert.Contains($"id {statuses[0].GetProperty("status_id").GetString()}", text.Stdout);
        Assert.Equal(TimeSpan.FromHours(24), statuses[0].GetProperty("expires_at").GetDateTimeOffset() - statuses[0].GetProperty("posted_at").GetDateTimeOffset());
        Assert.Equal(("image", "sunset"), (statuses[1].GetProperty("kind").GetString(), statuses[1].GetProperty("text").GetString()));
        Assert.Contains($"media {statuses[1].GetProperty("media_id").GetString()}", photo.Stdout);
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.Matches($@"\{alice} status: again  \(expires \d\d:\d\d tomorrow\)$", plain.Stdout.Trim());
    }

    [Fact]
    public async Task A_status_of_someone_who_does_not_have_you_in_their_book_never_reaches_your_feed()
    {
        var (alice, bob) = await RegisterTwoAsync();
        await SyncAsync(bob, alice); // one side only: bob has alice, alice does not have bob

        var posted = await CliProcess.RunAsync(Home, "status", "post", "private", "--as", alice);
        var feed = await CliProcess.RunAsync(Home, "status", "feed", "--as", bob, "--count", "1", "--timeout", "3s");

        Assert.True(posted.ExitCode == 0, posted.ToString());
        Assert.NotEqual(0, feed.ExitCode);
        Assert.Contains("with 0 of 1 statuses", feed.Stderr);
        Assert.Equal(string.Empty, feed.Stdout);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")] // a pseudo-terminal from util-linux script
    public async Task Chat_sends_typing_while_keys_are_typed_and_paused_after_a_pause_and_the_peer_shows_both()
    {
        var (alice, bob) = await RegisterTwoAsync();
        await using var bobChat = CliProcess.Start(Home, "chat", alice, "--as", bob);
        await bobChat.WaitForLineAsync(l => l.StartsWith("chatting with"), "bob's chat is logged in", stderr: true);
        await using var aliceChat = PseudoTerminal.Start(Home, "chat", bob, "--as", alice);
        await aliceChat.WaitForAsync("chatting with", "alice's chat is logged in");

        await aliceChat.TypeAsync("hel");
        await bobChat.WaitForLineAsync(l => l == $"typing: {alice} is typing…", "bob sees alice typing", stderr: true);
        // No key for 3 s: alice's chat sends PAUSED.
        await bobChat.WaitForLineAsync(l => l == "typing: nobody", "bob sees alice stop", stderr: true, timeout: TimeSpan.FromSeconds(30));

        await aliceChat.TypeAsync("lo\r");
        await bobChat.WaitForLineAsync(l => l.EndsWith($"{alice}: hello"), "bob's chat shows the line");
        await aliceChat.TypeAsync("\u0004"); // Ctrl+D on an empty line leaves
        bobChat.WriteLine("/quit");
        Assert.Equal(0, (await bobChat.WaitForExitAsync()).ExitCode);
        Assert.Equal(0, await aliceChat.WaitForExitAsync());
        var typing = bobChat.Stderr.Split('\n').Where(l => l.StartsWith("typing:")).ToArray();
        Assert.Equal(new[] { $"typing: {alice} is typing…", "typing: nobody", $"typing: {alice} is typing…", "typing: nobody" }, typing);
    }

    [Fact]
    public async Task Chat_shows_the_kind_of_a_non_text_message_a_voice_message_by_name()
    {
        var (alice, bob) = await RegisterTwoAsync();
        var voice = Path.Combine(Home, "hello.ogg");
        await File.WriteAllBytesAsync(voice, new byte[2_000]);
        await using var bobChat = CliProcess.Start(Home, "chat", alice, "--as", bob);
        await bobChat.WaitForLineAsync(l => l.StartsWith("chatting with"), "bob's chat is logged in", stderr: true);

        var sent = await CliProcess.RunAsync(Home, "send", bob, "--file", voice, "listen to this", "--web", $"http://127.0.0.1:{fixture.Node.WebPort}", "--as", alice);

        Assert.True(sent.ExitCode == 0, sent.ToString());
        var mediaId = Regex.Match(sent.Stdout, @"media (\S+)\)").Groups[1].Value;
        await bobChat.WaitForLineAsync(l => l.EndsWith($"{alice}: (voice message {mediaId}) listen to this"), "bob's chat names the voice message");
        bobChat.WriteLine("/quit");
        Assert.Equal(0, (await bobChat.WaitForExitAsync()).ExitCode);
    }

    private async Task<(string, string)> RegisterTwoAsync() => await RegisterAsync(2) is var p ? (p[0], p[1]) : default;

    private async Task<(string, string, string)> RegisterThreeAsync() => await RegisterAsync(3) is var p ? (p[0], p[1], p[2]) : default;

    private async Task<string[]> RegisterAsync(int count)
    {
        var phones = Enumerable.Range(0, count).Select(_ => TestPhones.New()).ToArray();
        foreach (var phone in phones)
        {
            var result = await CliProcess.RunAsync(Home, "register", phone, "--dev", "--server", _server);
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        return phones;
    }

    /// <summary><paramref name="owner"/>'s address book becomes <paramref name="contacts"/>, through <c>contacts sync -</c> on standard input.</summary>
    private async Task SyncAsync(string owner, params string[] contacts)
    {
        await using var sync = CliProcess.Start(Home, "contacts", "sync", "-", "--as", owner);
        foreach (var contact in contacts)
        {
            sync.WriteLine(contact);
        }

        sync.CloseInput();
        var result = await sync.WaitForExitAsync();
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
