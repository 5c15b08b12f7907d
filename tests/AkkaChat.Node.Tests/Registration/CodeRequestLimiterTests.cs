using AkkaChat.Node.Registration;

namespace AkkaChat.Node.Tests.Registration;

public sealed class CodeRequestLimiterTests
{
    private static readonly CodeRequestLimits Limits = new(
        PerPhoneBurst: 3, PerPhoneInterval: TimeSpan.FromMinutes(2), PerAddressBurst: 5, PerAddressInterval: TimeSpan.FromSeconds(10));

    private long _now = 1_000;

    private CodeRequestLimiter NewLimiter() => new(Limits, () => _now);

    [Fact]
    public void One_phone_gets_its_burst_of_codes_then_one_more_per_interval()
    {
        var limiter = NewLimiter();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(limiter.TryTake("+15550000001", $"10.0.0.{i}"));
        }

        Assert.False(limiter.TryTake("+15550000001", "10.0.0.9"));
        _now += (long)TimeSpan.FromMinutes(2).TotalMilliseconds;
        Assert.True(limiter.TryTake("+15550000001", "10.0.0.9"));
        Assert.False(limiter.TryTake("+15550000001", "10.0.0.9"));
    }

    [Fact]
    public void One_address_walking_through_numbers_is_limited_while_other_addresses_are_not()
    {
        var limiter = NewLimiter();
        for (var i = 0; i < 5; i++)
        {
            Assert.True(limiter.TryTake($"+1555000010{i}", "10.0.0.1"));
        }

        Assert.False(limiter.TryTake("+15550000200", "10.0.0.1"));
        Assert.True(limiter.TryTake("+15550000200", "10.0.0.2"));
        _now += 10_000;
        Assert.True(limiter.TryTake("+15550000201", "10.0.0.1"));
    }
}
