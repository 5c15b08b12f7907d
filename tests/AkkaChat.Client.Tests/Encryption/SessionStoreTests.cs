using System.Text;
using AkkaChat.Client.Encryption;

namespace AkkaChat.Client.Tests.Encryption;

public sealed class SessionStoreTests : IDisposable
{
    private const string Alice = "+15550000001";
    private const string Bob = "+15550000002";

    private readonly StoreFolder _stores = new();
    private readonly KeyDirectory _directory = new();

    public void Dispose() => _stores.Dispose();

    [Fact]
    public async Task Identity_prekeys_and_sessions_survive_reopening_the_store()
    {
        var alice = await _stores.Open(Alice);
        var bob = await _stores.Open(Bob);
        await _directory.Publish(bob, 5);
        var pending = await alice.EncryptAsync(Bob, "m1"u8.ToArray(), _directory.Fetch);
        var skipped = await alice.EncryptAsync(Bob, "m2"u8.ToArray(), _directory.Fetch);
        await bob.DecryptAsync(Alice, await alice.EncryptAsync(Bob, "m3"u8.ToArray(), _directory.Fetch));
        var (aliceIdentity, bobIdentity, bobPrekeys) = (alice.Identity, bob.Identity, bob.UnusedOneTimePrekeys);
        alice.Dispose();
        bob.Dispose();

        using var alice2 = await _stores.Open(Alice);
        using var bob2 = await _stores.Open(Bob);

        Assert.Equal(aliceIdentity, alice2.Identity);
        Assert.Equal(bobIdentity, bob2.Identity);
        Assert.Equal(bobPrekeys, bob2.UnusedOneTimePrekeys);
        Assert.Equal(bob2.SafetyNumberWith(Alice), alice2.SafetyNumberWith(Bob));
        Assert.Equal("m2", Encoding.UTF8.GetString(await bob2.DecryptAsync(Alice, skipped)));
        Assert.Equal("m1", Encoding.UTF8.GetString(await bob2.DecryptAsync(Alice, pending)));
        Assert.Equal("reply", Encoding.UTF8.GetString(await alice2.DecryptAsync(Bob, await bob2.EncryptAsync(Alice, "reply"u8.ToArray(), _directory.Fetch))));
        Assert.Equal(1, _directory.Fetches);
    }

    [Fact]
    public async Task The_store_file_is_readable_by_its_owner_only_and_no_temporary_file_is_left()
    {
        if (OperatingSystem.IsWindows()) return; // Unix file modes only; the project builds and tests on Linux
        using var alice = await _stores.Open(Alice);
        await alice.CreateUploadAsync(3);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_stores.File(Alice)));
        Assert.Equal([_stores.File(Alice)], Directory.GetFiles(_stores.Path));
    }

    [Fact]
    public async Task The_store_holds_no_plaintext_of_the_messages_it_encrypted_or_decrypted()
    {
        using var alice = await _stores.Open(Alice);
        using var bob = await _stores.Open(Bob);
        await _directory.Publish(bob);
        const string secret = "meet me at the old mill at midnight";
        await bob.DecryptAsync(Alice, await alice.EncryptAsync(Bob, Encoding.UTF8.GetBytes(secret), _directory.Fetch));

        foreach (var phone in new[] { Alice, Bob })
            Assert.DoesNotContain("old mill", File.ReadAllText(_stores.File(phone)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Opening_the_store_of_another_user_is_refused()
    {
        using (await _stores.Open(Alice)) { }

        await Assert.ThrowsAsync<InvalidOperationException>(() => E2eEncryptor.OpenAsync(_stores.File(Alice), Bob));
    }
}
