using System.Text;
using AkkaChat.Client.Encryption;

namespace AkkaChat.Client.Tests.Encryption;

public sealed class E2eEncryptorTests : IDisposable
{
    private const string Alice = "+15550000001";
    private const string Bob = "+15550000002";
    private const string Carol = "+15550000003";
    private const string Dave = "+15550000004";

    private readonly StoreFolder _stores = new();
    private readonly KeyDirectory _directory = new();

    public void Dispose() => _stores.Dispose();

    private async Task<E2eEncryptor> Device(string phone, int oneTimePrekeys = E2eEncryptor.DefaultPrekeyBatch)
    {
        var device = await _stores.Open(phone);
        await _directory.Publish(device, oneTimePrekeys);
        return device;
    }

    private Task<byte[]> Encrypt(E2eEncryptor from, string to, string text) =>
        from.EncryptAsync(to, Encoding.UTF8.GetBytes(text), _directory.Fetch);

    private static async Task<string> Decrypt(E2eEncryptor at, string from, byte[] body, string? group = null) =>
        Encoding.UTF8.GetString(await at.DecryptAsync(from, body, group));

    [Fact]
    public async Task Two_devices_talk_both_ways_after_one_bundle_fetch()
    {
        using var alice = await Device(Alice);
        using var bob = await Device(Bob);

        var first = await Encrypt(alice, Bob, "hi bob");
        Assert.Equal(EnvelopeType.PreKey, (EnvelopeType)first[2]);
        Assert.Equal("hi bob", await Decrypt(bob, Alice, first));
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal($"bob {i}", await Decrypt(alice, Bob, await Encrypt(bob, Alice, $"bob {i}")));
            Assert.Equal($"alice {i}", await Decrypt(bob, Alice, await Encrypt(alice, Bob, $"alice {i}")));
        }

        Assert.Equal(1, _directory.Fetches);
        Assert.Equal(alice.SafetyNumberWith(Bob), bob.SafetyNumberWith(Alice));
    }

    [Fact]
    public async Task A_prekey_envelope_uses_up_its_one_time_prekey_and_its_replay_is_rejected()
    {
        using var alice = await Device(Alice);
        using var bob = await Device(Bob, oneTimePrekeys: 5);

        var first = await Encrypt(alice, Bob, "once");
        Assert.Equal(1, first[103]); // flags: a one-time prekey was used
        Assert.Equal("once", await Decrypt(bob, Alice, first));
        Assert.Equal(4, bob.UnusedOneTimePrekeys);

        var replay = await Assert.ThrowsAsync<DecryptionFailedException>(() => bob.DecryptAsync(Alice, first));
        Assert.Equal(DecryptFailure.Duplicate, replay.Reason);

        // Even with the session gone, the one-time prekey it used is gone too.
        await bob.ResetSessionAsync(Alice);
        var again = await Assert.ThrowsAsync<DecryptionFailedException>(() => bob.DecryptAsync(Alice, first));
        Assert.Equal(DecryptFailure.UnknownPreKey, again.Reason);
    }

    [Fact]
    public async Task With_no_one_time_prekey_left_the_sender_falls_back_to_the_signed_prekey()
    {
        using var bob = await Device(Bob, oneTimePrekeys: 1);
        using var alice = await Device(Alice);
        using var carol = await Device(Carol);

        var fromAlice = await Encrypt(alice, Bob, "took the last one-time prekey");
        Assert.Equal(0, _directory.Remaining(Bob));
        var fromCarol = await Encrypt(carol, Bob, "signed prekey only");

        Assert.Equal(0, fromCarol[103]); // flags: no one-time prekey
        Assert.Equal("signed prekey only", await Decrypt(bob, Carol, fromCarol));
        Assert.Equal("took the last one-time prekey", await Decrypt(bob, Alice, fromAlice));
        Assert.Equal("both work", await Decrypt(carol, Bob, await Encrypt(bob, Carol, "both work")));
    }

    [Fact]
    public async Task Running_low_on_one_time_prekeys_is_reported_and_replenishing_tops_up()
    {
        using var bob = await Device(Bob, oneTimePrekeys: E2eEncryptor.LowPrekeyWatermark + 1);
        Assert.False(bob.NeedsMorePrekeys);
        foreach (var sender in new[] { Alice, Carol })
        {
            using var device = await Device(sender);
            await bob.DecryptAsync(sender, await Encrypt(device, Bob, "hello"));
        }

        Assert.Equal(E2eEncryptor.LowPrekeyWatermark - 1, bob.UnusedOneTimePrekeys);
        Assert.True(bob.NeedsMorePrekeys);
        var topUp = await bob.ReplenishAsync((uint)_directory.Remaining(Bob));
        Assert.Equal(E2eEncryptor.DefaultPrekeyBatch - (E2eEncryptor.LowPrekeyWatermark - 1), topUp.OneTimePrekeys.Count);
        _directory.Upload(Bob, topUp);
        Assert.Equal(E2eEncryptor.DefaultPrekeyBatch, _directory.Remaining(Bob));
        Assert.False(bob.NeedsMorePrekeys);
    }

    [Fact]
    public async Task A_new_identity_of_a_peer_is_surfaced_as_a_safety_number_change_and_never_accepted_silently()
    {
        using var alice = await Device(Alice);
        using (var bob = await Device(Bob))
            await Decrypt(alice, Bob, await Encrypt(bob, Alice, "my first device"));
        var trusted = alice.TrustedIdentity(Bob)!;
        var safetyNumber = alice.SafetyNumberWith(Bob);

        File.Delete(_stores.File(Bob)); // Bob reinstalls: a new identity
        using var newBob = await Device(Bob);
        var fromNewDevice = await Encrypt(newBob, Alice, "my new device");

        var change = await Assert.ThrowsAsync<SafetyNumberChangedException>(() => alice.DecryptAsync(Bob, fromNewDevice));
        Assert.Equal(trusted, change.Trusted);
        Assert.Equal(newBob.Identity, change.Presented);
        Assert.Equal(SafetyNumber.Compute(Alice, alice.Identity, Bob, newBob.Identity), change.SafetyNumber);
        Assert.NotEqual(safetyNumber, change.SafetyNumber);
        Assert.Equal(trusted, alice.TrustedIdentity(Bob));

        // Sending to Bob afresh meets the new bundle: refused as well, nothing encrypted.
        await alice.ResetSessionAsync(Bob);
        await Assert.ThrowsAsync<SafetyNumberChangedException>(() => Encrypt(alice, Bob, "who are you?"));

        await alice.TrustIdentityAsync(Bob, change.Presented);
        Assert.Equal("my new device", await Decrypt(alice, Bob, fromNewDevice));
        Assert.Equal(newBob.SafetyNumberWith(Alice), alice.SafetyNumberWith(Bob));
        Assert.Equal("welcome back", await Decrypt(newBob, Alice, await Encrypt(alice, Bob, "welcome back")));
    }

    [Fact]
    public async Task When_the_first_message_is_lost_the_next_one_still_starts_the_session_and_the_first_decrypts_late()
    {
        using var alice = await Device(Alice);
        using var bob = await Device(Bob);

        var lost = await Encrypt(alice, Bob, "first");
        var second = await Encrypt(alice, Bob, "second");

        Assert.Equal("second", await Decrypt(bob, Alice, second));
        Assert.Equal("first", await Decrypt(bob, Alice, lost));
        Assert.Equal(E2eEncryptor.DefaultPrekeyBatch - 1, bob.UnusedOneTimePrekeys);
    }

    [Fact]
    public async Task Simultaneous_first_messages_from_both_sides_all_decrypt_and_the_sessions_converge()
    {
        using var alice = await Device(Alice);
        using var bob = await Device(Bob);

        var fromAlice = await Encrypt(alice, Bob, "hello from alice");
        var fromBob = await Encrypt(bob, Alice, "hello from bob");
        Assert.Equal("hello from bob", await Decrypt(alice, Bob, fromBob));
        Assert.Equal("hello from alice", await Decrypt(bob, Alice, fromAlice));

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal($"a{i}", await Decrypt(bob, Alice, await Encrypt(alice, Bob, $"a{i}")));
            Assert.Equal($"b{i}", await Decrypt(alice, Bob, await Encrypt(bob, Alice, $"b{i}")));
        }
        Assert.Equal(2, _directory.Fetches);
    }

    [Fact]
    public async Task A_group_message_is_encrypted_pairwise_and_each_member_reads_only_its_own()
    {
        using var alice = await Device(Alice);
        using var bob = await Device(Bob);
        using var carol = await Device(Carol);
        using var dave = await Device(Dave);

        var body = await alice.EncryptForGroupAsync("g:team", [Alice, Bob, Carol], Encoding.UTF8.GetBytes("team meeting at 10"), _directory.Fetch);

        Assert.Equal(EnvelopeType.Group, (EnvelopeType)body[2]);
        var moved = await Assert.ThrowsAsync<DecryptionFailedException>(() => bob.DecryptAsync(Alice, body, "g:other"));
        Assert.Equal(DecryptFailure.Forged, moved.Reason);
        Assert.Equal("team meeting at 10", await Decrypt(bob, Alice, body, "g:team"));
        Assert.Equal("team meeting at 10", await Decrypt(carol, Alice, body, "g:team"));
        var outsider = await Assert.ThrowsAsync<DecryptionFailedException>(() => dave.DecryptAsync(Alice, body, "g:team"));
        Assert.Equal(DecryptFailure.NotAddressedToMe, outsider.Reason);
        // A member's answer in the group reuses the pairwise session.
        Assert.Equal("ok", await Decrypt(alice, Bob, await bob.EncryptForGroupAsync("g:team", [Alice, Carol], "ok"u8.ToArray(), _directory.Fetch), "g:team"));
    }

    [Fact]
    public async Task A_forged_prekey_envelope_changes_nothing_and_the_genuine_one_still_decrypts()
    {
        using var alice = await Device(Alice);
        using var bob = await Device(Bob, oneTimePrekeys: 3);
        var genuine = await Encrypt(alice, Bob, "genuine");
        var forged = (byte[])genuine.Clone();
        forged[^1] ^= 0x80;

        var failure = await Assert.ThrowsAsync<DecryptionFailedException>(() => bob.DecryptAsync(Alice, forged));

        Assert.Equal(DecryptFailure.Forged, failure.Reason);
        Assert.Equal(3, bob.UnusedOneTimePrekeys);
        Assert.Null(bob.TrustedIdentity(Alice));
        Assert.Equal("genuine", await Decrypt(bob, Alice, genuine));
    }

    [Fact]
    public async Task A_normal_envelope_without_a_session_is_refused_as_no_session()
    {
        using var alice = await Device(Alice);
        using var bob = await Device(Bob);
        using var carol = await Device(Carol);
        await Decrypt(bob, Alice, await Encrypt(alice, Bob, "start"));
        var normal = await Encrypt(bob, Alice, "for alice");
        Assert.Equal(EnvelopeType.Normal, (EnvelopeType)normal[2]);

        var failure = await Assert.ThrowsAsync<DecryptionFailedException>(() => carol.DecryptAsync(Bob, normal));
        Assert.Equal(DecryptFailure.NoSession, failure.Reason);
    }

    [Fact]
    public async Task A_bundle_with_a_forged_signed_prekey_signature_is_refused_before_anything_is_sent()
    {
        using var alice = await Device(Alice);
        using var bob = await Device(Bob);
        var upload = await bob.CreateUploadAsync(0);
        var forged = upload.SignedPrekey.Signature.ToByteArray();
        forged[0] ^= 0x01;
        upload.SignedPrekey.Signature = Google.Protobuf.ByteString.CopyFrom(forged);
        _directory.Upload(Bob, upload);

        await Assert.ThrowsAsync<InvalidKeyBundleException>(() => Encrypt(alice, Bob, "hello"));
        Assert.Null(alice.TrustedIdentity(Bob));
    }

    [Fact]
    public async Task The_upload_carries_the_64_byte_identity_and_a_signed_prekey_the_identity_signed()
    {
        using var bob = await _stores.Open(Bob);
        var first = await bob.CreateUploadAsync(3);
        var second = await bob.CreateUploadAsync(3);

        Assert.Equal(IdentityKey.Length, first.IdentityKey.Length);
        var identity = IdentityKey.Parse(first.IdentityKey.Span);
        Assert.Equal(bob.Identity, identity);
        Assert.Equal(32, first.SignedPrekey.PublicKey.Length);
        Assert.True(identity.Verifies(first.SignedPrekey.PublicKey.Span, first.SignedPrekey.Signature.Span));
        var ids = first.OneTimePrekeys.Concat(second.OneTimePrekeys).Select(k => k.Id).ToList();
        Assert.Equal(6, ids.Distinct().Count());
        Assert.All(first.OneTimePrekeys.Concat(second.OneTimePrekeys), k => Assert.Equal(32, k.PublicKey.Length));

        var rotated = await bob.RotateSignedPrekeyAsync();
        Assert.NotEqual(first.SignedPrekey.Id, rotated.SignedPrekey.Id);
        Assert.True(identity.Verifies(rotated.SignedPrekey.PublicKey.Span, rotated.SignedPrekey.Signature.Span));
    }

    [Fact]
    public async Task A_prekey_envelope_made_before_a_signed_prekey_rotation_still_decrypts()
    {
        using var alice = await Device(Alice);
        using var bob = await Device(Bob);
        var inFlight = await Encrypt(alice, Bob, "sent before the rotation");
        _directory.Upload(Bob, await bob.RotateSignedPrekeyAsync());

        Assert.Equal("sent before the rotation", await Decrypt(bob, Alice, inFlight));
    }
    [Fact]
    public async Task Concurrent_calls_are_serialised_so_every_envelope_gets_its_own_message_key()
    {
        using var alice = await Device(Alice);
        using var bob = await Device(Bob);
        await Decrypt(alice, Bob, await Encrypt(bob, Alice, "start"));

        var envelopes = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => Encrypt(alice, Bob, $"m{i}"))));

        var numbers = envelopes.Select(e => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(e.AsSpan(39))).ToList();
        Assert.Equal(50, numbers.Distinct().Count());
        var read = await Task.WhenAll(envelopes.Reverse().Select(e => Task.Run(() => Decrypt(bob, Alice, e))));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"m{i}").Order(), read.Order());
    }
}
