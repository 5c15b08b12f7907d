using System.Text;
using AkkaChat.Client.Encryption;
using AkkaChat.Protocol;
using AkkaChat.TestKit;

namespace AkkaChat.Client.Tests.Encryption;

/// <summary>
/// Envelopes in SEND.body through a real node process, between two SDK clients. The keys go
/// through <see cref="KeyDirectory"/> until the node serves KEYS_UPLOAD / KEYS_FETCH.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ThroughNodeTests(NodeFixture fixture) : IClassFixture<NodeFixture>, IDisposable
{
    private readonly NodeProcess _node = fixture.Node;
    private readonly StoreFolder _stores = new();
    private readonly KeyDirectory _directory = new();

    public void Dispose() => _stores.Dispose();

    [Fact]
    public async Task Encrypted_messages_cross_the_node_intact_and_its_data_directory_holds_no_plaintext()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        using var aliceKeys = await _stores.Open(alice);
        using var bobKeys = await _stores.Open(bob);
        await _directory.Publish(bobKeys);
        Credentials bobCredentials;
        await using (var offline = await Clients.RegisterAsync(_node, bob))
            bobCredentials = offline.Credentials!;
        await using var a = await Clients.RegisterAsync(_node, alice);

        // Bob is offline: the node queues (journals) everything below.
        var secret = $"secret-{Guid.NewGuid():N}";
        var control = $"control-{Guid.NewGuid():N}";
        for (var i = 0; i < 10; i++)
            await a.SendAsync(bob, MessageKind.Text, await aliceKeys.EncryptAsync(bob, Encoding.UTF8.GetBytes($"{secret} {i}"), _directory.Fetch))
                .WaitAsync(Clients.Timeout);
        await a.SendTextAsync(bob, control).WaitAsync(Clients.Timeout);

        var stored = ReadDataDirectory();
        Assert.Contains(control, stored, StringComparison.Ordinal); // the scan does see queued bodies
        Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);

        var (b, _) = await Clients.LoginAsync(_node, bobCredentials);
        await using (b)
        {
            await using var bobEvents = new EventLog(b);
            await bobEvents.WaitForAsync(l => l.Messages.Count == 11, "bob got the queued messages");
            var read = new List<string>();
            foreach (var message in bobEvents.Messages.Where(m => Envelope.IsEnvelope(m.Body.Span)))
                read.Add(Encoding.UTF8.GetString(await bobKeys.DecryptAsync(message.From, message.Body)));
            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{secret} {i}"), read);
            Assert.Equal(control, bobEvents.Messages.Single(m => !Envelope.IsEnvelope(m.Body.Span)).Text);

            await using var aliceEvents = new EventLog(a);
            await b.SendAsync(alice, MessageKind.Text, await bobKeys.EncryptAsync(alice, Encoding.UTF8.GetBytes($"{secret} reply"), _directory.Fetch))
                .WaitAsync(Clients.Timeout);
            await aliceEvents.WaitForAsync(l => l.Messages.Count == 1, "alice got the reply");
            var reply = aliceEvents.Messages.Single();
            Assert.Equal(EnvelopeType.Normal, (EnvelopeType)reply.Body.Span[2]);
            Assert.Equal($"{secret} reply", Encoding.UTF8.GetString(await aliceKeys.DecryptAsync(reply.From, reply.Body)));
        }
        Assert.Equal(aliceKeys.SafetyNumberWith(bob), bobKeys.SafetyNumberWith(alice));
        Assert.DoesNotContain(secret, ReadDataDirectory(), StringComparison.Ordinal);
    }

    /// <summary>Every byte the node keeps on disk (journal, snapshots, write-ahead logs), as Latin-1 so any byte sequence is searchable.</summary>
    private string ReadDataDirectory()
    {
        var all = new StringBuilder();
        foreach (var file in Directory.EnumerateFiles(_node.DataDir, "*", SearchOption.AllDirectories))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.Latin1);
            all.Append(reader.ReadToEnd());
        }
        return all.ToString();
    }
}
