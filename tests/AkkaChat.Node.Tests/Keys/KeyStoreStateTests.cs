using AkkaChat.Node.Keys;
using AkkaChat.Node.Keys.Contracts;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;
using NSec.Cryptography;

namespace AkkaChat.Node.Tests.Keys;

/// <summary>Uploads signed as the SDK signs them: Ed25519 by identity_key[32..64] over the prekey's 32 bytes.</summary>
internal static class SignedUploads
{
    public static KeysUpload Create(IEnumerable<uint> oneTimeIds, Key? signing = null, uint signedId = 1)
    {
        signing ??= Key.Create(SignatureAlgorithm.Ed25519);
        var identity = new byte[64];
        System.Security.Cryptography.RandomNumberGenerator.Fill(identity.AsSpan(0, 32));
        signing.PublicKey.Export(KeyBlobFormat.RawPublicKey).CopyTo(identity, 32);
        var prekey = RandomBytes(32);
        var upload = new KeysUpload
        {
            IdentityKey = ByteString.CopyFrom(identity),
            SignedPrekey = new SignedPreKey { Id = signedId, PublicKey = ByteString.CopyFrom(prekey), Signature = ByteString.CopyFrom(SignatureAlgorithm.Ed25519.Sign(signing, prekey)) },
        };
        upload.OneTimePrekeys.AddRange(oneTimeIds.Select(id => new PreKey { Id = id, PublicKey = ByteString.CopyFrom(RandomBytes(32)) }));
        return upload;
    }

    public static byte[] RandomBytes(int n)
    {
        var bytes = new byte[n];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return bytes;
    }
}

public sealed class KeyStoreStateTests
{
    private static KeyStoreState Uploaded(KeysUpload upload, int max = 1000)
    {
        var state = new KeyStoreState();
        state.Apply(state.DecideUpload(upload, max));
        return state;
    }

    [Fact]
    public void Fetches_hand_out_each_one_time_prekey_once_oldest_first_then_none()
    {
        var state = Uploaded(SignedUploads.Create([1, 2, 3]));
        var handedOut = new List<uint>();
        for (var i = 0; i < 3; i++)
        {
            var (bundle, consumed) = state.DecideFetch("+15550001");
            Assert.NotNull(consumed);
            state.Apply(consumed);
            handedOut.Add(bundle.OneTimePrekey.Id);
            Assert.Equal((uint)(2 - i), bundle.Remaining);
        }

        Assert.Equal([1u, 2u, 3u], handedOut);
        var (empty, none) = state.DecideFetch("+15550001");
        Assert.Null(none);
        Assert.Null(empty.OneTimePrekey);
        Assert.Equal(0u, empty.Remaining);
        Assert.NotNull(empty.SignedPrekey);
    }

    [Fact]
    public void An_upload_adds_prekeys_and_drops_those_whose_id_is_already_stored()
    {
        var signing = Key.Create(SignatureAlgorithm.Ed25519);
        var first = SignedUploads.Create([1, 2], signing);
        var state = Uploaded(first);
        var again = SignedUploads.Create([2, 3, 3], signing);
        again.IdentityKey = first.IdentityKey;

        var stored = state.DecideUpload(again, 1000);
        state.Apply(stored);

        Assert.Equal([3u], stored.Added.Select(p => p.Id));
        Assert.Equal(3, state.Remaining);
        Assert.Equal(again.SignedPrekey, state.SignedPreKey);
    }

    [Fact]
    public void An_upload_with_a_new_identity_drops_the_old_stock()
    {
        var state = Uploaded(SignedUploads.Create([1, 2, 3]));
        var stored = state.DecideUpload(SignedUploads.Create([7]), 1000);
        state.Apply(stored);

        Assert.True(stored.ReplacedIdentity);
        Assert.Equal(1, state.Remaining);
        Assert.Equal(7u, state.DecideFetch("+15550001").Bundle.OneTimePrekey.Id);
    }

    [Fact]
    public void The_stock_never_exceeds_the_configured_maximum()
    {
        var state = Uploaded(SignedUploads.Create(Enumerable.Range(1, 8).Select(i => (uint)i)), max: 5);
        Assert.Equal(5, state.Remaining);
    }

    [Fact]
    public void A_snapshot_restores_the_same_stock_in_the_same_order()
    {
        var state = Uploaded(SignedUploads.Create([4, 5, 6]));
        state.Apply(state.DecideFetch("+15550001").Consumed!);

        var restored = new KeyStoreState();
        restored.Apply(state.ToSnapshot());

        Assert.Equal(2, restored.Remaining);
        Assert.Equal(state.IdentityKey, restored.IdentityKey);
        Assert.Equal(5u, restored.DecideFetch("+15550001").Bundle.OneTimePrekey.Id);
    }
}

public sealed class KeyValidationTests
{
    [Fact]
    public void A_correctly_signed_upload_is_accepted() => Assert.Null(KeyValidation.Problem(SignedUploads.Create([1])));

    [Fact]
    public void A_signed_prekey_signed_by_another_key_is_refused()
    {
        var upload = SignedUploads.Create([1]);
        var other = SignedUploads.Create([1]);
        upload.SignedPrekey.Signature = other.SignedPrekey.Signature;
        Assert.Contains("signature", KeyValidation.Problem(upload));
    }

    [Fact]
    public void Wrong_sizes_are_refused()
    {
        var shortIdentity = SignedUploads.Create([1]);
        shortIdentity.IdentityKey = ByteString.CopyFrom(new byte[32]);
        Assert.Contains("identity_key", KeyValidation.Problem(shortIdentity));

        var noSigned = SignedUploads.Create([1]);
        noSigned.SignedPrekey = null;
        Assert.Contains("signed_prekey", KeyValidation.Problem(noSigned));

        var shortPrekey = SignedUploads.Create([1]);
        shortPrekey.OneTimePrekeys[0].PublicKey = ByteString.CopyFrom(new byte[31]);
        Assert.Contains("one-time prekey 1", KeyValidation.Problem(shortPrekey));
    }
}
