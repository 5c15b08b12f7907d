using AkkaChat.Node.Auth;

namespace AkkaChat.Node.Tests.Auth;

public sealed class VerificationCodeTests
{
    private static readonly DateTimeOffset IssuedAt = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);

    [Fact]
    public void A_code_is_six_digits()
    {
        var code = VerificationCode.Issue(IssuedAt, Ttl, maxTries: 5);

        Assert.Matches("^[0-9]{6}$", code.Code);
        Assert.Equal(IssuedAt + Ttl, code.ExpiresAt);
    }

    [Fact]
    public void The_right_code_is_accepted_once()
    {
        var code = VerificationCode.Issue(IssuedAt, Ttl, maxTries: 5);

        Assert.True(code.TryVerify(code.Code, IssuedAt.AddMinutes(1)));
        Assert.False(code.TryVerify(code.Code, IssuedAt.AddMinutes(1)));
    }

    [Fact]
    public void Five_wrong_tries_void_the_code()
    {
        var code = VerificationCode.Issue(IssuedAt, Ttl, maxTries: 5);
        var wrong = WrongCode(code.Code);

        for (var i = 0; i < 5; i++)
        {
            Assert.False(code.TryVerify(wrong, IssuedAt));
        }

        Assert.Equal(0, code.TriesLeft);
        Assert.False(code.TryVerify(code.Code, IssuedAt));
    }

    [Fact]
    public void The_right_code_still_works_after_four_wrong_tries()
    {
        var code = VerificationCode.Issue(IssuedAt, Ttl, maxTries: 5);

        Assert.False(code.TryVerify(WrongCode(code.Code), IssuedAt));
        Assert.False(code.TryVerify("", IssuedAt));
        Assert.False(code.TryVerify(code.Code + "0", IssuedAt));
        Assert.False(code.TryVerify(null!, IssuedAt));
        Assert.Equal(1, code.TriesLeft);

        Assert.True(code.TryVerify(code.Code, IssuedAt));
    }

    [Fact]
    public void An_expired_code_fails_even_when_right()
    {
        var code = VerificationCode.Issue(IssuedAt, Ttl, maxTries: 5);

        Assert.False(code.TryVerify(code.Code, IssuedAt + Ttl));
        Assert.Equal(5, code.TriesLeft);
        Assert.True(code.TryVerify(code.Code, IssuedAt + Ttl - TimeSpan.FromMilliseconds(1)));
    }

    /// <summary>The code with its first digit changed: six digits, guaranteed different.</summary>
    private static string WrongCode(string code) => (char)('0' + (code[0] - '0' + 1) % 10) + code[1..];
}
