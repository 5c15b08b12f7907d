using AkkaChat.TestKit;
using System.Runtime.Versioning;
using System.Text.Json;

namespace AkkaChat.Cli.Tests;

/// <summary>The akkachat command as a user runs it: real processes, a real node, a private AKKACHAT_HOME per test.</summary>
[Trait("Category", "Slow")]
public sealed class CliTests(NodeFixture fixture) : IClassFixture<NodeFixture>, IDisposable
{
    private readonly TempHome _home = new();
    private readonly string _server = fixture.Server;

    private string Home => _home.Path;

    public void Dispose() => _home.Dispose();

    [Fact]
    [UnsupportedOSPlatform("windows")] // file modes are Unix's; on Windows the profile's ACLs protect the file
    public async Task Register_with_dev_stores_the_credentials_in_a_file_only_the_owner_can_read()
    {
        var phone = TestPhones.New();

        var result = await CliProcess.RunAsync(Home, "register", phone, "--dev", "--server", _server);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"registered {phone}", result.Stdout);
        var file = Path.Combine(Home, "credentials", phone + ".json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(Home, "credentials")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Home));
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(file));
        Assert.Equal(phone, json.RootElement.GetProperty("phone").GetString());
        Assert.True(json.RootElement.GetProperty("token").GetBytesFromBase64().Length >= 32);
        Assert.Equal(_server, json.RootElement.GetProperty("server").GetString());
    }

    [Fact]
    public async Task A_message_sent_by_one_user_is_printed_by_the_other_users_listen()
    {
        var (alice, bob) = await RegisterTwoAsync();

        var sent = await CliProcess.RunAsync(Home, "send", bob, "hello bob", "--as", alice);
        var listened = await CliProcess.RunAsync(Home, "listen", "--as", bob, "--count", "1", "--timeout", "20s");

        Assert.True(sent.ExitCode == 0, sent.ToString());
        Assert.Contains($"sent to {bob}", sent.Stdout);
        Assert.True(listened.ExitCode == 0, listened.ToString());
        Assert.Contains($"{alice}: hello bob", listened.Stdout);
    }

    [Fact]
    public async Task Listen_prints_a_message_the_moment_it_arrives_and_the_sender_then_gets_the_delivered_receipt()
    {
        var (alice, bob) = await RegisterTwoAsync();
        await using var listening = CliProcess.Start(Home, "listen", "--as", bob, "--count", "1", "--timeout", "30s", "--json");
        await listening.WaitForLineAsync(l => l.StartsWith("listening as"), "listen is logged in", stderr: true);

        var sent = await CliProcess.RunAsync(Home, "send", bob, "live", "--as", alice);
        var listened = await listening.WaitForExitAsync();
        var receipts = await CliProcess.RunAsync(Home, "listen", "--as", alice, "--count", "1", "--timeout", "20s", "--json");

        Assert.True(sent.ExitCode == 0, sent.ToString());
        Assert.True(listened.ExitCode == 0, listened.ToString());
        using var message = JsonDocument.Parse(listened.Stdout.Trim());
        Assert.Equal(("message", alice, "live"), (message.RootElement.GetProperty("type").GetString(), message.RootElement.GetProperty("from").GetString(), message.RootElement.GetProperty("text").GetString()));
        Assert.True(receipts.ExitCode == 0, receipts.ToString());
        using var receipt = JsonDocument.Parse(receipts.Stdout.Trim());
        Assert.Equal(("receipt", "delivered", bob), (receipt.RootElement.GetProperty("type").GetString(), receipt.RootElement.GetProperty("status").GetString(), receipt.RootElement.GetProperty("by").GetString()));
        Assert.Equal(message.RootElement.GetProperty("server_msg_id").GetString(), receipt.RootElement.GetProperty("server_msg_id").GetString());
    }

    [Fact]
    public async Task Without_as_the_last_registered_user_is_the_one_who_sends()
    {
        var (alice, bob) = await RegisterTwoAsync(); // bob registered last

        var sent = await CliProcess.RunAsync(Home, "send", alice, "from the default user");
        var listened = await CliProcess.RunAsync(Home, "listen", "--as", alice, "--count", "1", "--timeout", "20s");

        Assert.True(sent.ExitCode == 0, sent.ToString());
        Assert.Contains($"{bob}: from the default user", listened.Stdout);
    }

    [Fact]
    public async Task Chat_marks_each_sent_line_sent_then_delivered_or_read_as_the_peer_gets_it()
    {
        var (alice, bob) = await RegisterTwoAsync();
        await using var aliceChat = CliProcess.Start(Home, "chat", bob, "--as", alice);
        await aliceChat.WaitForLineAsync(l => l.StartsWith("chatting with"), "alice's chat is logged in", stderr: true);

        // Bob's device gets the first line without showing it: delivered.
        aliceChat.WriteLine("first");
        await aliceChat.WaitForLineAsync(l => l.EndsWith("you: first  ✓"), "the first line is stored (SEND_ACK)");
        var listened = await CliProcess.RunAsync(Home, "listen", "--as", bob, "--count", "1", "--timeout", "20s");
        Assert.Contains($"{alice}: first", listened.Stdout);
        await aliceChat.WaitForLineAsync(l => l.EndsWith("you: first  ✓✓"), "the first line is delivered");

        // Bob's chat shows the second line: read. And his answer shows in alice's chat.
        await using var bobChat = CliProcess.Start(Home, "chat", alice, "--as", bob);
        await bobChat.WaitForLineAsync(l => l.StartsWith("chatting with"), "bob's chat is logged in", stderr: true);
        aliceChat.WriteLine("second");
        await bobChat.WaitForLineAsync(l => l.EndsWith($"{alice}: second"), "bob's chat shows the second line");
        await aliceChat.WaitForLineAsync(l => l.EndsWith("you: second  ✓✓ read"), "the second line is read");
        bobChat.WriteLine("hi alice");
        await aliceChat.WaitForLineAsync(l => l.EndsWith($"{bob}: hi alice"), "alice's chat shows bob's answer");
        await bobChat.WaitForLineAsync(l => l.EndsWith("you: hi alice  ✓✓ read"), "bob's answer is read");
        aliceChat.CloseInput();
        bobChat.WriteLine("/quit");

        Assert.Equal(0, (await aliceChat.WaitForExitAsync()).ExitCode);
        Assert.Equal(0, (await bobChat.WaitForExitAsync()).ExitCode);
        Assert.DoesNotContain(aliceChat.Stdout.Split('\n'), l => l.Contains("first  ✓✓ read")); // never shown, never read
    }

    [Fact]
    public async Task Send_file_uploads_it_to_the_media_endpoint_and_the_peer_gets_an_image_naming_it()
    {
        var (alice, bob) = await RegisterTwoAsync();
        var picture = Path.Combine(Home, "cat.png");
        var bytes = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();
        await File.WriteAllBytesAsync(picture, bytes);
        var web = $"http://127.0.0.1:{fixture.Node.WebPort}";

        var sent = await CliProcess.RunAsync(Home, "send", bob, "--file", picture, "a cat", "--web", web, "--as", alice);
        var listened = await CliProcess.RunAsync(Home, "listen", "--as", bob, "--count", "1", "--timeout", "20s", "--json");

        Assert.True(sent.ExitCode == 0, sent.ToString());
        Assert.Contains($"sent image cat.png to {bob}", sent.Stdout);
        Assert.True(listened.ExitCode == 0, listened.ToString());
        using var message = JsonDocument.Parse(listened.Stdout.Trim());
        Assert.Equal("image", message.RootElement.GetProperty("kind").GetString());
        var mediaId = message.RootElement.GetProperty("media_id").GetString();
        Assert.False(string.IsNullOrEmpty(mediaId));
        Assert.Contains($"media {mediaId}", sent.Stdout);

        // The medium is the file's bytes, for the recipient's own device token.
        using var bobJson = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Home, "credentials", bob + ".json")));
        using var http = new HttpClient();
        using var get = new HttpRequestMessage(HttpMethod.Get, $"{web}/v1/media/{mediaId}");
        get.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", $"{bob}:{bobJson.RootElement.GetProperty("token").GetString()}");
        using var response = await http.SendAsync(get);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Send_file_of_a_missing_file_is_a_usage_error_naming_its_full_path()
    {
        var (alice, bob) = await RegisterTwoAsync();

        var result = await CliProcess.RunAsync(Home, "send", bob, "--file", "no-such.png", "--as", alice);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no such file:", result.Stderr);
        Assert.Contains("no-such.png", result.Stderr);
    }

    [Fact]
    public async Task Sending_to_an_unregistered_number_fails_with_not_found()
    {
        var (alice, _) = await RegisterTwoAsync();

        var result = await CliProcess.RunAsync(Home, "send", TestPhones.New(), "anyone?", "--as", alice);

        AssertOneLineError(result, 1, "not found");
    }

    [Fact]
    public async Task A_malformed_phone_number_is_a_usage_error()
    {
        var register = await CliProcess.RunAsync(Home, "register", "555-0001", "--dev", "--server", _server);
        var send = await CliProcess.RunAsync(Home, "send", "12345", "hi");

        AssertOneLineError(register, 2, "not a phone number in E.164 form");
        AssertOneLineError(send, 2, "neither a phone number");
    }

    [Fact]
    public async Task A_server_that_is_down_fails_with_connection_refused()
    {
        var result = await CliProcess.RunAsync(Home, "register", TestPhones.New(), "--dev", "--server", $"127.0.0.1:{AkkaChat.TestKit.NodeProcess.FreePort()}");

        AssertOneLineError(result, 1, "connection refused");
    }

    [Fact]
    public async Task An_unknown_server_name_fails_to_resolve()
    {
        var result = await CliProcess.RunAsync(Home, "register", TestPhones.New(), "--dev", "--server", "no-such-node.invalid:4700");

        AssertOneLineError(result, 1, "cannot resolve server 'no-such-node.invalid'");
    }

    [Fact]
    public async Task A_wrong_code_fails_with_authentication_failed_and_stores_nothing()
    {
        var phone = TestPhones.New();

        var result = await CliProcess.RunAsync(Home, "register", phone, "--code", "99999x", "--server", _server);

        AssertOneLineError(result, 1, "authentication failed");
        Assert.False(File.Exists(Path.Combine(Home, "credentials", phone + ".json")));
    }

    [Fact]
    public async Task Commands_before_any_registration_say_how_to_register()
    {
        var result = await CliProcess.RunAsync(Home, "listen", "--count", "1");

        AssertOneLineError(result, 2, "akkachat register");
    }

    [Fact]
    public async Task Listen_that_reaches_its_timeout_before_its_count_fails()
    {
        var (_, bob) = await RegisterTwoAsync();

        var result = await CliProcess.RunAsync(Home, "listen", "--as", bob, "--count", "1", "--timeout", "500ms");

        AssertOneLineError(result, 1, "timed out after 500 ms with 0 of 1");
    }

    [Fact]
    public async Task An_unknown_command_is_a_usage_error()
    {
        var result = await CliProcess.RunAsync(Home, "whisper", "+15550001");

        AssertOneLineError(result, 2, "whisper");
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

    /// <summary>Every failure: a non-zero exit and exactly one line, "akkachat: error: ...", on standard error.</summary>
    private static void AssertOneLineError(CliResult result, int exitCode, string expected)
    {
        Assert.True(result.ExitCode == exitCode, $"expected exit {exitCode}\n{result}");
        var errors = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("akkachat: error: ")).ToArray();
        Assert.True(errors.Length == 1, $"expected one error line\n{result}");
        Assert.Contains(expected, errors[0]);
    }
}
