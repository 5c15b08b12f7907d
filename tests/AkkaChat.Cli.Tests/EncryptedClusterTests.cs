using System.Text;
using System.Text.RegularExpressions;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Npgsql;

namespace AkkaChat.Cli.Tests;

/// <summary>A 3-node cluster (node processes, one PostgreSQL database) for the tests of end-to-end encryption across nodes.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public ProcessCluster Cluster { get; private set; } = null!;

    public string Server(int node) => $"127.0.0.1:{Cluster.Nodes[node].Port}";

    public async Task InitializeAsync() => Cluster = await ProcessCluster.StartAsync(3);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>End-to-end encryption through a 3-node cluster: the CLI by default, and the key store's exactly-once prekeys across nodes.</summary>
[Trait("Category", "Slow")]
public sealed class EncryptedClusterTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>, IDisposable
{
    private static readonly Regex SafetyNumberPattern = new(@"(\d{5}( \d{5}){11})", RegexOptions.Compiled);
    private readonly TempHome _home = new();
    private readonly ProcessCluster _cluster = fixture.Cluster;

    private string Home => _home.Path;

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Two_cli_users_on_different_nodes_chat_encrypted_and_the_database_holds_only_ciphertext()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        foreach (var (phone, node) in new[] { (alice, 0), (bob, 2) })
        {
            var registered = await CliProcess.RunAsync(Home, "register", phone, "--dev", "--server", fixture.Server(node));
            Assert.True(registered.ExitCode == 0, registered.ToString());
        }

        var secret = $"secret-{Guid.NewGuid():N}";
        var control = $"control-{Guid.NewGuid():N}";
        await using var aliceChat = CliProcess.Start(Home, "chat", bob, "--as", alice);
        var aliceLock = await aliceChat.WaitForLineAsync(l => l.Contains("🔒 end-to-end encrypted"), "alice's chat is encrypted", stderr: true);
        await using var bobChat = CliProcess.Start(Home, "chat", alice, "--as", bob);
        var bobLock = await bobChat.WaitForLineAsync(l => l.Contains("🔒 end-to-end encrypted"), "bob's chat is encrypted", stderr: true);

        // Both see the same safety number, and verify prints it too.
        var number = SafetyNumberPattern.Match(aliceLock).Value;
        Assert.NotEmpty(number);
        Assert.Equal(number, SafetyNumberPattern.Match(bobLock).Value);

        aliceChat.WriteLine($"{secret} from alice");
        await bobChat.WaitForLineAsync(l => l.EndsWith($"{alice}: {secret} from alice"), "bob's chat shows alice's line");
        bobChat.WriteLine($"{secret} from bob");
        await aliceChat.WaitForLineAsync(l => l.EndsWith($"{bob}: {secret} from bob"), "alice's chat shows bob's answer");
        await aliceChat.WaitForLineAsync(l => l.EndsWith($"you: {secret} from alice  ✓✓ read"), "alice's line is read");
        aliceChat.WriteLine("/quit");
        bobChat.WriteLine("/quit");
        Assert.Equal(0, (await aliceChat.WaitForExitAsync()).ExitCode);
        var bobDone = await bobChat.WaitForExitAsync();
        Assert.Equal(0, bobDone.ExitCode);
        Assert.DoesNotContain("(not encrypted)", bobDone.Stdout);

        if (!OperatingSystem.IsWindows())
        {
            foreach (var phone in new[] { alice, bob })
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Home, "credentials", $"keys-{phone.TrimStart('+')}.json")));
        }

        var verified = await CliProcess.RunAsync(Home, "verify", bob, "--as", alice);
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.Contains(number, verified.Stdout);

        // A --plaintext message, queued for bob: the scan below does see bodies in the database.
        var plain = await CliProcess.RunAsync(Home, "send", bob, control, "--as", alice, "--plaintext");
        Assert.True(plain.ExitCode == 0, plain.ToString());
        // Receipts of bob's own line may come first; each listen takes one item.
        var listened = new StringBuilder();
        for (var i = 0; i < 4 && !listened.ToString().Contains(control); i++)
            listened.Append((await CliProcess.RunAsync(Home, "listen", "--as", bob, "--count", "1", "--timeout", "30s")).Stdout);
        Assert.Contains($"{alice}: {control} (not encrypted)", listened.ToString());

        var stored = await ReadDatabaseAsync();
        Assert.Contains(Hex(control), stored, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(Hex(secret), stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_key_fetches_on_two_other_nodes_never_get_the_same_one_time_prekey()
    {
        var bob = TestPhones.New();
        var registered = await CliProcess.RunAsync(Home, "register", bob, "--dev", "--server", fixture.Server(0));
        Assert.True(registered.ExitCode == 0, registered.ToString());

        // Bob is offline (nobody replenishes); two users on nodes 2 and 3 each fetch 60 bundles at once.
        const int perFetcher = 60;
        var fetched = await Task.WhenAll(new[] { 1, 2 }.Select(async node =>
        {
            await using var client = await _cluster.Nodes[node].ConnectAsync();
            await client.RegisterAsync(TestPhones.New());
            for (var i = 0; i < perFetcher; i++)
                await client.SendAsync(new KeysFetch { Phone = bob });
            var bundles = new List<KeyBundle>();
            for (var i = 0; i < perFetcher; i++)
                bundles.Add(await client.ExpectAsync<KeyBundle>(TimeSpan.FromSeconds(60)));
            return bundles;
        }));

        var handedOut = fetched.SelectMany(b => b).Where(b => b.OneTimePrekey is { PublicKey.IsEmpty: false }).Select(b => b.OneTimePrekey.Id).ToList();
        Assert.Equal(handedOut.Count, handedOut.Distinct().Count());
        // Registration published 100 and its own check took one: the other 99 went out once each, then none.
        Assert.Equal(AkkaChat.Client.Encryption.E2eEncryptor.DefaultPrekeyBatch - 1, handedOut.Count);
        Assert.All(fetched, bundles => Assert.Contains(bundles, b => b.OneTimePrekey is { PublicKey.IsEmpty: false }));
    }

    private static string Hex(string text) => Convert.ToHexString(Encoding.UTF8.GetBytes(text)).ToLowerInvariant();

    /// <summary>Every row of every table of the cluster's database as text (bytea as hex), to search for plaintext.</summary>
    private async Task<string> ReadDatabaseAsync()
    {
        var all = new StringBuilder();
        await using var connection = new NpgsqlConnection(_cluster.DatabaseConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                tables.Add(reader.GetString(0));
        }

        Assert.NotEmpty(tables);
        foreach (var table in tables)
        {
            await using var select = new NpgsqlCommand($"SELECT t::text FROM {table} t", connection);
            await using var rows = await select.ExecuteReaderAsync();
            while (await rows.ReadAsync())
                all.AppendLine(rows.GetString(0));
        }

        return all.ToString();
    }
}
