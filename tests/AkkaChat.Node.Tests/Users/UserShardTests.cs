using AkkaChat.Node.Configuration;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Users;

namespace AkkaChat.Node.Tests.Users;

public sealed class UserShardTests
{
    // Golden values, computed independently of the node's code (FNV-1a 32-bit of UTF-8, mod 256):
    // python3 -c "import functools as f;[print(p, f.reduce(lambda h,b:((h^b)*16777619)&0xffffffff, p.encode(), 2166136261)%256) for p in ['+14155550100','+447700900123','+4915112345678']]"
    [Theory]
    [InlineData("+14155550100", "113")]
    [InlineData("+447700900123", "205")]
    [InlineData("+4915112345678", "242")]
    public void A_phone_is_always_placed_on_the_same_shard(string phone, string shard)
    {
        Assert.Equal(shard, UserShard.ShardIdOf(phone));
    }

    [Fact]
    public void Every_shard_id_is_between_0_and_255()
    {
        var seen = new HashSet<int>();
        for (var i = 0; i < 5_000; i++)
        {
            var id = int.Parse(UserShard.ShardIdOf($"+1415555{i:D4}"), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(id, 0, AkkaChatSettings.ShardCount - 1);
            seen.Add(id);
        }

        Assert.True(seen.Count > 200, $"5,000 numbers fell on only {seen.Count} shards");
    }

    [Fact]
    public void Messages_for_a_user_are_routed_by_its_phone()
    {
        var extractor = new UserShard();
        var submit = new SubmitMessage { Phone = "+447700900123", From = "+14155550100" };

        Assert.Equal("+447700900123", extractor.EntityId(submit));
        Assert.Equal("205", extractor.ShardId(submit));
        Assert.Same(submit, extractor.EntityMessage(submit));
        Assert.Null(extractor.EntityId("not a user message"));
    }
}
