using AkkaChat.Node.Connections;

namespace AkkaChat.Node.Tests.Connections;

/// <summary>The bucket reads no clock of its own: every take passes the time, so these tests own it.</summary>
public sealed class TokenBucketTests
{
    [Fact]
    public void A_full_burst_is_allowed_and_the_next_take_is_refused()
    {
        var bucket = new TokenBucket();

        for (var i = 0; i < 5; i++)
        {
            Assert.True(bucket.TryTake(nowMs: 1_000, perSecond: 10, burst: 5));
        }

        Assert.False(bucket.TryTake(nowMs: 1_000, perSecond: 10, burst: 5));
    }

    [Fact]
    public void Tokens_come_back_at_the_refill_rate()
    {
        var bucket = new TokenBucket();
        Assert.True(bucket.TryTake(0, perSecond: 10, burst: 1));
        Assert.False(bucket.TryTake(0, perSecond: 10, burst: 1));

        Assert.False(bucket.TryTake(99, perSecond: 10, burst: 1)); // 0.99 of a token
        Assert.True(bucket.TryTake(100, perSecond: 10, burst: 1)); // one token per 100 ms
        Assert.False(bucket.TryTake(150, perSecond: 10, burst: 1));
        Assert.True(bucket.TryTake(200, perSecond: 10, burst: 1));
    }

    [Fact]
    public void A_long_pause_refills_no_more_than_the_burst()
    {
        var bucket = new TokenBucket();
        Assert.True(bucket.TryTake(0, perSecond: 100, burst: 3));

        var taken = 0;
        while (bucket.TryTake(60_000, perSecond: 100, burst: 3))
        {
            taken++;
        }

        Assert.Equal(3, taken);
    }

    [Fact]
    public void A_smaller_burst_applies_at_the_next_take()
    {
        var bucket = new TokenBucket();
        Assert.True(bucket.TryTake(0, perSecond: 1, burst: 100));

        // The limit was hot-reloaded down to 2: the 99 tokens left are capped at once.
        Assert.True(bucket.TryTake(0, perSecond: 1, burst: 2));
        Assert.True(bucket.TryTake(0, perSecond: 1, burst: 2));
        Assert.False(bucket.TryTake(0, perSecond: 1, burst: 2));
    }
}
