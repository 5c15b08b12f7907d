using System.Text;
using AkkaChat.Client.Encryption;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;

namespace AkkaChat.Client.Tests.Encryption;

/// <summary>
/// <see cref="AkkaChatClient"/>s with encryption on (the default) through a real node process:
/// keys published with KEYS_UPLOAD at login, bundles fetched with KEYS_FETCH, envelopes in
/// SEND.body, decrypted into the normal events.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ThroughNodeTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly NodeProcess _node = fixture.Node;

    [Fact]
    public async Task Two_clients_exchange_encrypted_messages_offline_and_online_and_the_node_keeps_no_plaintext()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        Credentials bobCredentials;
        await using (var offline = await Clients.RegisterAsync(_node, bob))
            bobCredentials = offline.Credentials!;
        await using var a = await Clients.RegisterAsync(_node, alice);
        await using var plain = await Clients.RegisterAsync(_node, TestPhones.New(), Clients.For(_node) with { Encryption = false });

        // Bob is offline: the node queues (journals) everything below.
        var secret = $"secret-{Guid.NewGuid():N}";
        var control = $"control-{Guid.NewGuid():N}";
        for (var i = 0; i < 10; i++)
            await a.SendTextAsync(bob, $"{secret} {i}").WaitAsync(Clients.Timeout);
        await plain.SendTextAsync(bob, control).WaitAsync(Clients.Timeout);

        var stored = ReadDataDirectory();
        Assert.Contains(control, stored, StringComparison.Ordinal); // the scan does see queued bodies
        Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);

        var (b, _) = await Clients.LoginAsync(_node, bobCredentials);
        await using (b)
        {
            await using var bobEvents = new EventLog(b);
            await bobEvents.WaitForAsync(l => l.Messages.Count == 11, "bob got the queued messages");
            var encrypted = bobEvents.Messages.Where(m => m.Encrypted).ToArray();
            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{secret} {i}"), encrypted.Select(m => m.Text));
            Assert.All(encrypted, m => Assert.Equal(alice, m.From));
            var unencrypted = Assert.Single(bobEvents.Messages, m => !m.Encrypted);
            Assert.Equal(control, unencrypted.Text);

            await using var aliceEvents = new EventLog(a);
            await b.SendTextAsync(alice, $"{secret} reply").WaitAsync(Clients.Timeout);
            await aliceEvents.WaitForAsync(l => l.Messages.Count == 1, "alice got the reply");
            var reply = aliceEvents.Messages.Single();
            Assert.True(reply.Encrypted);
            Assert.Equal($"{secret} reply", reply.Text);
            Assert.Equal(a.Encryptor!.SafetyNumberWith(bob), b.Encryptor!.SafetyNumberWith(alice));
            Assert.Equal(await a.GetSafetyNumberAsync(bob), await b.GetSafetyNumberAsync(alice));
        }

        Assert.DoesNotContain(secret, ReadDataDirectory(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Envelopes_the_node_delivers_out_of_order_decrypt_and_a_lost_one_does_not_stop_the_rest()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var b = await Clients.RegisterAsync(_node, bob);
        await using var bobEvents = new EventLog(b);
        Credentials aliceCredentials;
        await using (var a = await Clients.RegisterAsync(_node, alice))
        {
            aliceCredentials = a.Credentials!;
            await a.SendTextAsync(bob, "first").WaitAsync(Clients.Timeout);
        }

        await bobEvents.WaitForAsync(l => l.Messages.Count == 1, "bob got the first message");

        // Alice's device seals three more; the node is handed 4, then 2, and 3 never.
        var envelopes = new List<byte[]>();
        using (var device = await E2eEncryptor.OpenAsync(Clients.For(_node).KeyStorePath(alice), alice))
        {
            for (var i = 2; i <= 4; i++)
                envelopes.Add(await device.EncryptAsync(bob, Encoding.UTF8.GetBytes($"m{i}"), (_, _) => throw new InvalidOperationException("the session exists")));
        }

        var (raw, _) = await Clients.LoginAsync(_node, aliceCredentials, Clients.For(_node) with { Encryption = false });
        await using (raw)
        {
            await raw.SendAsync(bob, MessageKind.Text, envelopes[2]).WaitAsync(Clients.Timeout);
            await raw.SendAsync(bob, MessageKind.Text, envelopes[0]).WaitAsync(Clients.Timeout);
            await raw.SendAsync(bob, MessageKind.Text, envelopes[0]).WaitAsync(Clients.Timeout); // and 2 once more: a replay
        }

        await bobEvents.WaitForAsync(l => l.Messages.Count == 3, "bob read 4 and 2");
        Assert.Equal(["first", "m4", "m2"], bobEvents.Messages.Select(m => m.Text));
        Assert.All(bobEvents.Messages, m => Assert.True(m.Encrypted));

        // The replay was acknowledged without an event: a plaintext message behind it is the next event.
        await using var other = await Clients.RegisterAsync(_node, TestPhones.New(), Clients.For(_node) with { Encryption = false });
        await other.SendTextAsync(bob, "after").WaitAsync(Clients.Timeout);
        await bobEvents.WaitForAsync(l => l.Messages.Count == 4, "bob got the message after the replay");
        Assert.Equal("after", bobEvents.Messages[3].Text);
        Assert.Empty(bobEvents.All.OfType<UndecryptableMessage>());

        // A tampered envelope is surfaced, never passed on as a message.
        var tampered = envelopes[1].ToArray();
        tampered[^1] ^= 1;
        var (raw2, _) = await Clients.LoginAsync(_node, aliceCredentials, Clients.For(_node) with { Encryption = false });
        await using (raw2)
            await raw2.SendAsync(bob, MessageKind.Text, tampered).WaitAsync(Clients.Timeout);
        await bobEvents.WaitForAsync(l => l.All.OfType<UndecryptableMessage>().Any(), "bob was told of the undecryptable message");
        var failed = bobEvents.All.OfType<UndecryptableMessage>().Single();
        Assert.Equal((alice, DecryptFailure.Forged), (failed.From, failed.Reason));
        Assert.Equal(4, bobEvents.Messages.Count);
    }

    [Fact]
    public async Task A_new_device_of_a_peer_is_surfaced_as_a_safety_number_change_and_decrypts_only_once_accepted()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(_node, alice);
        await using var aliceEvents = new EventLog(a);
        Credentials bobCredentials;
        string oldNumber;
        await using (var b = await Clients.RegisterAsync(_node, bob))
        {
            bobCredentials = b.Credentials!;
            await b.SendTextAsync(alice, "from the old phone").WaitAsync(Clients.Timeout);
            await aliceEvents.WaitForAsync(l => l.Messages.Count == 1, "alice got the first message");
            oldNumber = a.Encryptor!.SafetyNumberWith(bob)!;
        }

        // Bob's new device: a fresh key store, so a new identity, published at login.
        var newDevice = Clients.For(_node) with { KeyStoreDirectory = Directory.CreateTempSubdirectory("akkachat-new-device-").FullName };
        var (b2, _) = await Clients.LoginAsync(_node, bobCredentials, newDevice);
        await using (b2)
        {
            await b2.SendTextAsync(alice, "from the new phone").WaitAsync(Clients.Timeout);
            await aliceEvents.WaitForAsync(l => l.All.OfType<SafetyNumberChanged>().Any(), "alice was told of the change");
            var change = aliceEvents.All.OfType<SafetyNumberChanged>().Single();
            Assert.Equal(bob, change.Peer);
            Assert.Equal(b2.Encryptor!.Identity, change.Presented);
            Assert.NotEqual(oldNumber, change.SafetyNumber);
            Assert.Single(aliceEvents.Messages); // nothing passed on as a message
            Assert.Equal(oldNumber, a.Encryptor!.SafetyNumberWith(bob)); // nor trusted

            // Sending to the new device also refuses the new identity until it is accepted.
            await a.Encryptor.ResetSessionAsync(bob);
            var refused = await Assert.ThrowsAsync<SafetyNumberChangedException>(() => a.SendTextAsync(bob, "to whom?").WaitAsync(Clients.Timeout));
            Assert.Equal(change.SafetyNumber, refused.SafetyNumber);

            var accepted = Assert.IsType<MessageReceived>(await a.AcceptSafetyNumberAsync(change));
            Assert.Equal(("from the new phone", true), (accepted.Text, accepted.Encrypted));
            Assert.Equal(change.SafetyNumber, a.Encryptor.SafetyNumberWith(bob));
            Assert.Equal(change.SafetyNumber, await b2.GetSafetyNumberAsync(alice));

            await using var bobEvents = new EventLog(b2);
            await a.SendTextAsync(bob, "welcome back").WaitAsync(Clients.Timeout);
            await bobEvents.WaitForAsync(l => l.Messages.Any(m => m.Text == "welcome back" && m.Encrypted), "the new device read the answer");
        }
    }

    [Fact]
    public async Task With_the_one_time_prekeys_drained_the_first_message_uses_the_signed_prekey_and_the_owner_replenishes_at_login()
    {
        var (alice, bob, drainer) = (TestPhones.New(), TestPhones.New(), TestPhones.New());
        Credentials bobCredentials;
        await using (var offline = await Clients.RegisterAsync(_node, bob))
            bobCredentials = offline.Credentials!;

        // Bob is offline, so nobody answers KEYS_LOW: fetch until the bundle has no one-time prekey.
        await using var raw = await _node.ConnectAsync();
        await raw.RegisterAsync(drainer);
        var drained = 0;
        while (HasOneTimePrekey(await FetchAsync(raw, bob)))
            Assert.True(++drained <= E2eEncryptor.DefaultPrekeyBatch, "more one-time prekeys than bob published");
        Assert.InRange(drained, E2eEncryptor.DefaultPrekeyBatch - 2, E2eEncryptor.DefaultPrekeyBatch); // bob's own login fetch took one

        await using var a = await Clients.RegisterAsync(_node, alice);
        await a.SendTextAsync(bob, "no one-time prekey left").WaitAsync(Clients.Timeout);

        var (b, _) = await Clients.LoginAsync(_node, bobCredentials);
        await using (b)
        {
            await using var bobEvents = new EventLog(b);
            await bobEvents.WaitForAsync(l => l.Messages.Count == 1, "bob read the message");
            Assert.Equal(("no one-time prekey left", true), (bobEvents.Messages[0].Text, bobEvents.Messages[0].Encrypted));

            // The login saw the empty stock and uploaded more (a fetch that finds none consumes nothing).
            var deadline = DateTime.UtcNow + Clients.Timeout;
            while (!HasOneTimePrekey(await FetchAsync(raw, bob)))
            {
                Assert.True(DateTime.UtcNow < deadline, "bob's login did not replenish the one-time prekeys");
                await Task.Delay(100); // poll interval, within the node's fetch budget
            }
        }
    }

    private static async Task<KeyBundle> FetchAsync(ProtocolClient raw, string phone)
    {
        await raw.SendAsync(new KeysFetch { Phone = phone });
        return await raw.ExpectAsync<KeyBundle>();
    }

    private static bool HasOneTimePrekey(KeyBundle bundle) => bundle.OneTimePrekey is { PublicKey.IsEmpty: false };

    [Fact]
    public async Task A_message_decrypted_but_not_acknowledged_when_the_client_stopped_is_shown_again_and_then_forgotten()
    {
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(_node, alice);
        var b = await Clients.RegisterAsync(_node, bob);
        var bobCredentials = b.Credentials!;
        var kept = b.Encryptor!.StorePath + ".unacked.json";
        await a.SendTextAsync(bob, "one").WaitAsync(Clients.Timeout);
        await a.SendTextAsync(bob, "two").WaitAsync(Clients.Timeout);

        // Bob's app takes "one" and stops; "two" was decrypted (its message key is gone) but not moved past.
        await foreach (var e in b.Events.WithCancellation(new CancellationTokenSource(Clients.Timeout).Token))
        {
            Assert.Equal("one", ((MessageReceived)e).Text);
            break;
        }

        await Eventually.TrueAsync(() => b.BufferedEvents == 1, "\"two\" is decrypted and buffered");
        await b.DisposeAsync();
        Assert.True(File.Exists(kept), "the unacknowledged plaintext is kept");
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(kept));

        var (again, login) = await Clients.LoginAsync(_node, bobCredentials);
        await using (again)
        {
            Assert.Equal(1UL, login.Pending);
            await using var events = new EventLog(again);
            await events.WaitForAsync(l => l.Messages.Count == 1, "the unacknowledged message came again");
            Assert.Equal(("two", true), (events.Messages[0].Text, events.Messages[0].Encrypted));
            await Eventually.TrueAsync(() => !File.Exists(kept), "the kept plaintext is forgotten once acknowledged");
        }
    }

    [Fact]
    public async Task A_group_message_is_encrypted_pairwise_for_every_member_and_the_node_keeps_no_plaintext()
    {
        var (alice, bob, carol) = (TestPhones.New(), TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(_node, alice);
        await using var b = await Clients.RegisterAsync(_node, bob);
        await using var c = await Clients.RegisterAsync(_node, carol);
        await using var bobEvents = new EventLog(b);
        await using var carolEvents = new EventLog(c);
        var group = await a.CreateGroupAsync("e2e", [bob, carol]).WaitAsync(Clients.Timeout);

        var secret = $"group-secret-{Guid.NewGuid():N}";
        await a.SendToGroupAsync(group.GroupId, secret).WaitAsync(Clients.Timeout);
        foreach (var (events, who) in new[] { (bobEvents, "bob"), (carolEvents, "carol") })
        {
            await events.WaitForAsync(l => l.Messages.Count == 1, $"{who} got the group message");
            var message = events.Messages.Single();
            Assert.Equal((secret, true, group.GroupId, alice), (message.Text, message.Encrypted, message.GroupId, message.From));
        }

        await c.SendToGroupAsync(group.GroupId, secret + " answer").WaitAsync(Clients.Timeout);
        await bobEvents.WaitForAsync(l => l.Messages.Count == 2, "bob got carol's answer");
        Assert.Equal((secret + " answer", true), (bobEvents.Messages[1].Text, bobEvents.Messages[1].Encrypted));
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
