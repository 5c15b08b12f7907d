using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Google.Protobuf;
using NSec.Cryptography;

namespace AkkaChat.EndToEnd.Tests;

/// <summary>The node's key store through a real node process over TCP, with uploads signed as the SDK signs them.</summary>
[Trait("Category", "Slow")]
public sealed class KeyStoreTests
{
    internal static KeysUpload SignedUpload(IEnumerable<uint> oneTimeIds)
    {
        using var signing = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });
        var identity = new byte[64];
        System.Security.Cryptography.RandomNumberGenerator.Fill(identity.AsSpan(0, 32));
        signing.PublicKey.Export(KeyBlobFormat.RawPublicKey).CopyTo(identity, 32);
        var prekey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var upload = new KeysUpload
        {
            IdentityKey = ByteString.CopyFrom(identity),
            SignedPrekey = new SignedPreKey { Id = 1, PublicKey = ByteString.CopyFrom(prekey), Signature = ByteString.CopyFrom(SignatureAlgorithm.Ed25519.Sign(signing, prekey)) },
        };
        upload.OneTimePrekeys.AddRange(oneTimeIds.Select(id => new PreKey { Id = id, PublicKey = ByteString.CopyFrom(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) }));
        return upload;
    }

    /// <summary>Uploads, then awaits a bundle from a second user, so the upload is known to be stored.</summary>
    internal static async Task<KeyBundle> FetchAsync(ProtocolClient client, string phone)
    {
        await client.SendAsync(new KeysFetch { Phone = phone });
        return await client.ExpectAsync<KeyBundle>();
    }

    [Fact]
    public async Task Fetches_consume_each_one_time_prekey_once_then_fall_back_to_the_signed_prekey_and_the_owner_gets_keys_low()
    {
        await using var node = await NodeProcess.StartAsync();
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await node.ConnectAsync();
        await a.RegisterAsync(alice);
        var upload = SignedUpload(Enumerable.Range(1, 12).Select(i => (uint)i));
        await a.SendAsync(upload);
        await a.ExpectAliveAsync();

        await using var b = await node.ConnectAsync();
        await b.RegisterAsync(bob);
        var ids = new List<uint>();
        for (var i = 0; i < 12; i++)
        {
            var bundle = await FetchAsync(b, alice);
            Assert.Equal(upload.IdentityKey, bundle.IdentityKey);
            Assert.Equal(upload.SignedPrekey, bundle.SignedPrekey);
            Assert.Equal((uint)(11 - i), bundle.Remaining);
            ids.Add(bundle.OneTimePrekey.Id);
        }

        Assert.Equal(Enumerable.Range(1, 12).Select(i => (uint)i), ids);
        var exhausted = await FetchAsync(b, alice);
        Assert.Null(exhausted.OneTimePrekey);
        Assert.Equal(upload.SignedPrekey, exhausted.SignedPrekey);

        // 12 - 3 = 9 < 10 after the third fetch: one KEYS_LOW while online, the stock it saw then.
        var low = await a.ExpectAsync<KeysLow>();
        Assert.Equal(9u, low.Remaining);
    }

    [Fact]
    public async Task An_owner_offline_when_the_stock_fell_below_ten_gets_keys_low_at_the_next_login()
    {
        await using var node = await NodeProcess.StartAsync();
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        ByteString token;
        await using (var a = await node.ConnectAsync())
        {
            token = (await a.RegisterAsync(alice)).Token;
            await a.SendAsync(SignedUpload([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
            await a.ExpectAliveAsync();
        }

        await using var b = await node.ConnectAsync();
        await b.RegisterAsync(bob);
        Assert.Equal(9u, (await FetchAsync(b, alice)).Remaining);

        await using var again = await node.ConnectAsync();
        await again.LoginAsync(alice, token);
        Assert.Equal(9u, (await again.ExpectAsync<KeysLow>()).Remaining);
    }

    [Fact]
    public async Task Unknown_users_badly_signed_uploads_and_a_drained_budget_get_protocol_errors_and_the_connection_stays()
    {
        await using var node = await NodeProcess.StartAsync("akkachat.keys.fetch-burst = 2\nakkachat.keys.fetch-per-minute = 1");
        var (alice, bob) = (TestPhones.New(), TestPhones.New());
        await using var a = await node.ConnectAsync();
        await a.RegisterAsync(alice);

        var forged = SignedUpload([1]);
        forged.SignedPrekey.Signature = SignedUpload([1]).SignedPrekey.Signature;
        await a.SendAsync(forged);
        await a.ExpectErrorAsync(ErrorCode.BadRequest);
        var shortKey = SignedUpload([1]);
        shortKey.IdentityKey = ByteString.CopyFrom(new byte[33]);
        await a.SendAsync(shortKey);
        await a.ExpectErrorAsync(ErrorCode.BadRequest);

        // Registered but no keys yet, and never registered: NOT_FOUND naming the number.
        await using var b = await node.ConnectAsync();
        await b.RegisterAsync(bob);
        await b.SendAsync(new KeysFetch { Phone = alice });
        await b.ExpectErrorAsync(ErrorCode.NotFound, alice);
        var stranger = TestPhones.New();
        await b.SendAsync(new KeysFetch { Phone = stranger });
        await b.ExpectErrorAsync(ErrorCode.NotFound, stranger);
        await b.SendAsync(new KeysFetch { Phone = "12345" });
        await b.ExpectErrorAsync(ErrorCode.BadRequest);

        // The budget of 2 is spent by the two fetches above (the malformed number takes none).
        await a.SendAsync(SignedUpload([1]));
        await a.ExpectAliveAsync();
        await b.SendAsync(new KeysFetch { Phone = alice });
        await b.ExpectErrorAsync(ErrorCode.RateLimited, alice);
        await b.ExpectAliveAsync();
    }
}
