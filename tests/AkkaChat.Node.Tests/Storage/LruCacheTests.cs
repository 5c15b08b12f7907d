using AkkaChat.Node.Statuses;
using AkkaChat.Node.Storage;
using Google.Protobuf;

namespace AkkaChat.Node.Tests.Storage;

/// <summary>The bounded cache of statuses and directory entries.</summary>
public sealed class LruCacheTests
{
    private static PostedStatus Status(string id, long expiresAt = 10_000) =>
        new(id, "+447700900123", "r-" + id, 1, ByteString.Empty, "m", 0, expiresAt);

    private static LruCache<PostedStatus> Cache(int capacity) => new(capacity, s => s.StatusId);

    [Fact]
    public void The_least_recently_used_value_leaves_first_past_the_capacity()
    {
        var cache = Cache(capacity: 2);
        cache.Put(Status("a"));
        cache.Put(Status("b"));
        Assert.True(cache.TryGet("a", out _)); // a is now the most recent

        cache.Put(Status("c"));

        Assert.True(cache.TryGet("a", out _));
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("c", out _));
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Putting_a_value_again_replaces_it_without_evicting_another()
    {
        var cache = Cache(capacity: 2);
        cache.Put(Status("a", expiresAt: 1));
        cache.Put(Status("b"));

        cache.Put(Status("a", expiresAt: 2));

        Assert.True(cache.TryGet("a", out var a));
        Assert.Equal(2, a.ExpiresAtMs);
        Assert.True(cache.TryGet("b", out _));
    }

    [Fact]
    public void Removed_and_stale_values_are_gone()
    {
        var cache = Cache(capacity: 10);
        cache.Put(Status("old", expiresAt: 5));
        cache.Put(Status("new", expiresAt: 50));
        cache.Put(Status("dropped"));

        cache.Remove("dropped");
        cache.RemoveWhere(s => s.ExpiresAtMs <= 5);

        Assert.False(cache.TryGet("old", out _));
        Assert.False(cache.TryGet("dropped", out _));
        Assert.True(cache.TryGet("new", out _));
        Assert.Equal(1, cache.Count);
    }
}
