using AkkaChat.Node.Contracts;
using AkkaChat.Node.Users;

namespace AkkaChat.Node.Tests.Users;

public sealed class DedupWindowTests
{
    [Fact]
    public void The_oldest_keys_are_evicted_once_the_window_is_full()
    {
        var window = new DedupWindow(capacity: 3);
        for (var i = 1; i <= 5; i++)
        {
            window.Add(Message("+14155550100", $"c-{i}", $"srv-{i}"));
        }

        Assert.Equal(3, window.Count);
        Assert.False(window.TryGet(DedupWindow.MessageKey("+14155550100", "c-1"), out _));
        Assert.False(window.TryGet(DedupWindow.MessageKey("+14155550100", "c-2"), out _));
        Assert.True(window.TryGet(DedupWindow.MessageKey("+14155550100", "c-3"), out var kept));
        Assert.Equal("srv-3", kept.ServerMsgId);
        Assert.Equal(new[] { "srv-3", "srv-4", "srv-5" }, window.Entries.Select(e => e.ServerMsgId));
    }

    [Fact]
    public void An_evicted_message_is_no_longer_found_by_its_server_msg_id()
    {
        var window = new DedupWindow(capacity: 2);
        window.Add(Message("+14155550100", "c-1", "srv-1"));
        window.Add(Message("+447700900123", "c-2", "srv-2"));

        Assert.True(window.TryFindMessage("srv-1", out var sender, out var clientMsgId));
        Assert.Equal(("+14155550100", "c-1"), (sender, clientMsgId));

        window.Add(Message("+447700900123", "c-3", "srv-3"));

        Assert.False(window.TryFindMessage("srv-1", out _, out _));
        Assert.True(window.TryFindMessage("srv-2", out sender, out clientMsgId));
        Assert.Equal(("+447700900123", "c-2"), (sender, clientMsgId));
    }

    [Fact]
    public void Receipt_keys_take_window_space_but_are_not_found_as_messages()
    {
        var window = new DedupWindow(capacity: 2);
        window.Add(Message("+14155550100", "c-1", "srv-1"));
        window.Add(new DedupEntry { Key = DedupWindow.ReceiptKey("+447700900123", "srv-9", 2), ServerMsgId = "srv-9" });

        Assert.False(window.TryFindMessage("srv-9", out _, out _));

        window.Add(new DedupEntry { Key = DedupWindow.ReceiptKey("+447700900123", "srv-9", 3), ServerMsgId = "srv-9" });

        Assert.False(window.TryFindMessage("srv-1", out _, out _));
        Assert.True(window.TryGet(DedupWindow.ReceiptKey("+447700900123", "srv-9", 2), out _));
    }

    [Fact]
    public void A_key_added_again_keeps_its_first_entry_and_its_place()
    {
        var window = new DedupWindow(capacity: 2);
        window.Add(Message("+14155550100", "c-1", "srv-1"));
        window.Add(Message("+14155550100", "c-1", "srv-other"));
        window.Add(Message("+14155550100", "c-2", "srv-2"));

        Assert.Equal(2, window.Count);
        Assert.True(window.TryGet(DedupWindow.MessageKey("+14155550100", "c-1"), out var first));
        Assert.Equal("srv-1", first.ServerMsgId);
        Assert.False(window.TryFindMessage("srv-other", out _, out _));
    }

    [Fact]
    public void A_window_holds_at_least_one_key()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DedupWindow(0));
    }

    private static DedupEntry Message(string sender, string clientMsgId, string serverMsgId) =>
        new() { Key = DedupWindow.MessageKey(sender, clientMsgId), ServerMsgId = serverMsgId, ServerTimeMs = 1 };
}
