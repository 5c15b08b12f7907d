using AkkaChat.Node.Statuses;
using AkkaChat.Node.Statuses.Internal;
using Google.Protobuf;

namespace AkkaChat.Node.Tests.Status;

public sealed class StatusCacheTests
{
    private static PostedStatus Status(string id, long expiresAt = 10_000) =>
        new(id, "+447700900123", "r-" + id, 1, ByteString.Empty, "m", 0, expiresAt);

    [Fact]
    public void The_least_recently_used_status_leaves_first_past_the_capacity()
    {
        var cache = new StatusCache(capacity: 2);
        cache.Put(Status("a"));
        cache.Put(Status("b"));
        Assert.True(cache.TryGet("a", out _)); // a is now the most recent

        cache.Put(Status("c"));

        Assert.True(cache.TryGet("a", out _));
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("c", out _));
    }

    [Fact]
    public void Expired_statuses_are_removed()
    {
        var cache = new StatusCache(capacity: 10);
        cache.Put(Status("old", expiresAt: 5));
        cache.Put(Status("new", expiresAt: 50));

        cache.RemoveExpired(nowMs: 5);

        Assert.False(cache.TryGet("old", out _));
        Assert.Equal(1, cache.Count);
    }
}
