using AkkaChat.Client.Encryption;

namespace AkkaChat.Client.Tests.Encryption;

public sealed class SafetyNumberTests
{
    private static IdentityKey NewIdentity() => IdentityKeyPair.Generate().Public;

    [Fact]
    public void Both_users_compute_the_same_60_digit_number()
    {
        var (alice, bob) = (NewIdentity(), NewIdentity());

        var seenByAlice = SafetyNumber.Compute("+15550000001", alice, "+15550000002", bob);
        var seenByBob = SafetyNumber.Compute("+15550000002", bob, "+15550000001", alice);

        Assert.Equal(seenByAlice, seenByBob);
        Assert.Equal(60, seenByAlice.Length);
        Assert.All(seenByAlice, c => Assert.InRange(c, '0', '9'));
    }

    [Fact]
    public void The_number_is_the_two_fingerprints_in_ascending_order()
    {
        var (alice, bob) = (NewIdentity(), NewIdentity());
        var a = SafetyNumber.Fingerprint("+15550000001", alice);
        var b = SafetyNumber.Fingerprint("+15550000002", bob);

        Assert.Equal(30, a.Length);
        Assert.Equal(string.CompareOrdinal(a, b) < 0 ? a + b : b + a, SafetyNumber.Compute("+15550000001", alice, "+15550000002", bob));
    }

    [Fact]
    public void A_new_identity_key_or_another_phone_number_changes_the_number()
    {
        var (alice, bob) = (NewIdentity(), NewIdentity());
        var before = SafetyNumber.Compute("+15550000001", alice, "+15550000002", bob);

        Assert.NotEqual(before, SafetyNumber.Compute("+15550000001", alice, "+15550000002", NewIdentity()));
        Assert.NotEqual(before, SafetyNumber.Compute("+15550000001", alice, "+15550000003", bob));
        Assert.Equal(before, SafetyNumber.Compute("+15550000001", alice, "+15550000002", IdentityKey.Parse(bob.ToByteArray())));
    }

    [Fact]
    public void The_display_form_is_twelve_groups_of_five_digits()
    {
        var number = SafetyNumber.Compute("+15550000001", NewIdentity(), "+15550000002", NewIdentity());

        var groups = SafetyNumber.Format(number).Split(' ');

        Assert.Equal(12, groups.Length);
        Assert.All(groups, g => Assert.Equal(5, g.Length));
        Assert.Equal(number, string.Concat(groups));
    }
}
