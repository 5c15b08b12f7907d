using System.Text.RegularExpressions;
using System.Xml.Linq;
using AkkaChat.Conformance.Checks;
using AkkaChat.Conformance.Serve;

namespace AkkaChat.Conformance.Tests;

/// <summary>The kit's own behaviour: failing checks say why, the summary and JUnit are right, --only filters.</summary>
public sealed class KitTests
{
    private static KitOptions Against(int port) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        AnswerTimeout = TimeSpan.FromMilliseconds(500),
        CheckTimeout = TimeSpan.FromSeconds(5),
        QuietWindow = TimeSpan.FromMilliseconds(200),
    };

    private static Check Named(string id) => Catalog.All.Single(c => c.Id == id);

    private static async Task<(int Exit, string[] Lines)> RunCliAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await ConformanceCli.RunAsync(args, output, error, CancellationToken.None);
        return (exit, (output + error.ToString()).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task A_server_that_never_answers_fails_the_check_at_its_deadline_instead_of_hanging()
    {
        await using var silent = FakeServer.Silent();
        var results = await new CheckRunner(Against(silent.Port), TextWriter.Null).RunAsync([Named("framing/ping_is_answered_by_pong_with_its_nonce")]);

        var result = Assert.Single(results);
        Assert.Equal(Verdict.Failed, result.Verdict);
        Assert.Equal("no answer within 0.5 s while waiting for PONG", result.Detail);
    }

    [Fact]
    public async Task A_wrong_pong_fails_with_the_nonces_it_saw()
    {
        await using var wrong = FakeServer.WrongNonce();
        var output = new StringWriter();
        var results = await new CheckRunner(Against(wrong.Port), output).RunAsync([Named("framing/ping_is_answered_by_pong_with_its_nonce")]);

        Assert.Equal(Verdict.Failed, Assert.Single(results).Verdict);
        Assert.Matches(@"^FAIL framing/ping_is_answered_by_pong_with_its_nonce - PING is answered by PONG: PONG nonce (\d+), PING nonce \d+\r?\n$", output.ToString());
    }

    [Fact]
    public async Task A_server_that_logs_in_any_token_fails_the_wrong_token_check()
    {
        // The scripted server accepts every AUTH_LOGIN: exactly what errors/wrong_token_* catches.
        await using var serve = ScriptedServer.Start(ServeScript.WellBehaved);
        var results = await new CheckRunner(Against(serve.Port), TextWriter.Null).RunAsync([Named("errors/wrong_token_is_auth_failed_and_closes")]);

        var result = Assert.Single(results);
        Assert.Equal(Verdict.Failed, result.Verdict);
        Assert.Contains("ERROR{AUTH_FAILED}", result.Detail);
    }

    [Fact]
    public async Task The_cli_prints_one_line_per_check_then_the_summary_and_exits_non_zero_on_a_failure()
    {
        await using var wrong = FakeServer.WrongNonce();
        var junit = Path.GetTempFileName();
        try
        {
            var (exit, lines) = await RunCliAsync($"127.0.0.1:{wrong.Port}", "--only", "framing", "--timeout", "500ms", "--junit", junit);

            Assert.Equal(ConformanceCli.ChecksFailed, exit);
            var framing = Catalog.All.Where(c => c.Area == "framing").ToArray();
            Assert.Equal(framing.Length + 1, lines.Length);
            Assert.All(lines[..^1], l => Assert.Matches(@"^(PASS|FAIL|SKIP) framing/\w+ - ", l));
            var passed = lines.Count(l => l.StartsWith("PASS ", StringComparison.Ordinal));
            var failed = lines.Count(l => l.StartsWith("FAIL ", StringComparison.Ordinal));
            Assert.True(failed > 0);
            Assert.Equal($"{passed} passed, {failed} failed", lines[^1]);

            var suite = XDocument.Load(junit).Root!.Element("testsuite")!;
            Assert.Equal(framing.Length.ToString(), suite.Attribute("tests")!.Value);
            Assert.Equal(failed.ToString(), suite.Attribute("failures")!.Value);
            var ping = suite.Elements("testcase").Single(t => t.Attribute("name")!.Value == "ping_is_answered_by_pong_with_its_nonce");
            Assert.Equal("framing", ping.Attribute("classname")!.Value);
            Assert.StartsWith("PONG nonce", ping.Element("failure")!.Attribute("message")!.Value);
        }
        finally
        {
            File.Delete(junit);
        }
    }

    [Fact]
    public void The_summary_counts_passed_and_failed_and_leaves_skipped_out()
    {
        var check = Catalog.All[0];
        CheckResult[] results =
        [
            new(check, Verdict.Passed, null, TimeSpan.Zero),
            new(check, Verdict.Passed, "saw X", TimeSpan.Zero),
            new(check, Verdict.Failed, "why", TimeSpan.Zero),
            new(check, Verdict.Skipped, "needs Y", TimeSpan.Zero),
        ];

        Assert.Equal("2 passed, 1 failed", CheckRunner.Summary(results));
        Assert.Equal($"FAIL {check.Id} - {check.Rule}: why", CheckRunner.Line(results[2]));
        Assert.Equal($"PASS {check.Id} - {check.Rule} [saw X]", CheckRunner.Line(results[1]));

        var suite = JUnitReport.Build(results, "x:1").Root!.Element("testsuite")!;
        Assert.Equal("4", suite.Attribute("tests")!.Value);
        Assert.Equal("1", suite.Attribute("failures")!.Value);
        Assert.Equal("1", suite.Attribute("skipped")!.Value);
        Assert.Equal("needs Y", suite.Elements("testcase").ElementAt(3).Element("skipped")!.Attribute("message")!.Value);
    }

    [Fact]
    public async Task Only_runs_the_named_areas()
    {
        var (exit, lines) = await RunCliAsync("127.0.0.1:1", "--list", "--only", "login,receipts");

        Assert.Equal(ConformanceCli.Ok, exit);
        Assert.Equal(Catalog.All.Count(c => c.Area is "login" or "receipts"), lines.Length);
        Assert.All(lines, l => Assert.Matches("^(login|receipts)/", l));
    }

    [Fact]
    public async Task An_unknown_area_is_a_usage_error()
    {
        var (exit, lines) = await RunCliAsync("127.0.0.1:1", "--only", "framing,chess");

        Assert.Equal(ConformanceCli.Usage, exit);
        Assert.Contains("unknown area chess", lines[0]);
    }

    [Fact]
    public void Every_check_has_a_unique_id_and_a_rule()
    {
        Assert.Equal(Catalog.All.Count, Catalog.All.Select(c => c.Id).Distinct().Count());
        Assert.All(Catalog.All, c => Assert.Matches(@"^[a-z]+/[a-z0-9_]+$", c.Id));
        Assert.All(Catalog.All, c => Assert.False(string.IsNullOrWhiteSpace(c.Rule)));
        Assert.Equal(
            ["framing", "errors", "login", "sending", "idempotency", "ordering", "delivery", "receipts", "retention", "presence", "typing", "contacts", "status", "groups", "keys", "media", "websocket"],
            Catalog.Areas);
    }

    [Fact]
    public void The_node_is_held_to_every_area_of_the_kit() =>
        Assert.Equal(Catalog.Areas, NodeConformanceTests.ServedAreas.Split(','));

    [Fact]
    public void The_keys_checks_upload_keys_in_the_format_docs_protocol_md_fixes()
    {
        var upload = TransportChecks.Upload(3);
        Assert.Equal(64, upload.IdentityKey.Length);
        Assert.Equal(32, upload.SignedPrekey.PublicKey.Length);
        Assert.All(upload.OneTimePrekeys, k => Assert.Equal(32, k.PublicKey.Length));
        Assert.Equal(3, upload.OneTimePrekeys.Select(k => k.Id).Distinct().Count());
        var signer = NSec.Cryptography.PublicKey.Import(NSec.Cryptography.SignatureAlgorithm.Ed25519, upload.IdentityKey.Span[32..], NSec.Cryptography.KeyBlobFormat.RawPublicKey);
        Assert.True(NSec.Cryptography.SignatureAlgorithm.Ed25519.Verify(signer, upload.SignedPrekey.PublicKey.Span, upload.SignedPrekey.Signature.Span));
        Assert.NotEqual(upload.IdentityKey, TransportChecks.Upload(0).IdentityKey); // fresh keys for every upload
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("3s", 3000)]
    [InlineData("5m", 300_000)]
    [InlineData("2", 2000)]
    public void Durations_read_like_hocon(string text, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), ConformanceCli.Duration(text));

    [Fact]
    public async Task Codes_from_a_file_take_the_newest_line_for_exactly_that_phone()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllLinesAsync(file,
            [
                "sms to +155500012 code 111111",
                "sms to +15550001 code 222222",
                "sms to +155500019 code 333333",
                "sms to +15550001 code 444444",
                "sms to +1555000123 code 555555",
            ]);

            var codes = CodeSource.FromFile(file);
            Assert.Equal("444444", await codes.CodeForAsync("+15550001", "", TimeSpan.FromSeconds(1)));

            // The next request for the same phone waits for a line after the one already used.
            var next = codes.CodeForAsync("+15550001", "", TimeSpan.FromSeconds(10));
            Assert.False(next.IsCompleted);
            await File.AppendAllLinesAsync(file, ["sms to +15550001 code 666666"]);
            Assert.Equal("666666", await next);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Codes_from_a_command_get_the_phone_as_an_argument()
    {
        var code = await CodeSource.FromCommand("echo \"code for $1: 654321\"").CodeForAsync("+15550009", "", TimeSpan.FromSeconds(10));
        Assert.Equal("654321", code);
    }

    [Fact]
    public async Task The_serve_list_names_every_script_and_what_a_client_must_do()
    {
        var (exit, lines) = await RunCliAsync("serve", "--port", "0", "--list");

        Assert.Equal(ConformanceCli.Ok, exit);
        foreach (var script in ServeScript.All)
        {
            Assert.Contains(script.Name, lines);
        }

        Assert.Equal(ServeScript.All.Count, lines.Count(l => l.StartsWith("client must:", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => Regex.IsMatch(l, "TBD|TODO"));
    }
}
