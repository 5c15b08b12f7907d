using AkkaChat.Protocol;
using AkkaChat.TestKit;

namespace AkkaChat.Client.Tests;

/// <summary>The SDK's group calls against one real node.</summary>
[Trait("Category", "Slow")]
public sealed class GroupApiTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly NodeProcess _node = fixture.Node;

    [Fact]
    public async Task A_created_group_carries_messages_to_members_and_receipts_by_member_back_to_the_sender()
    {
        var (alice, bob, carol) = (TestPhones.New(), TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(_node, alice);
        await using var b = await Clients.RegisterAsync(_node, bob);
        await using var c = await Clients.RegisterAsync(_node, carol);
        await using var aliceEvents = new EventLog(a);
        await using var bobEvents = new EventLog(b);
        await using var carolEvents = new EventLog(c);

        var group = await a.CreateGroupAsync("weekend", [bob, carol]).WaitAsync(Clients.Timeout);
        Assert.Equal(new[] { (alice, true), (bob, false), (carol, false) }, group.Members.Select(m => (m.Phone, m.Admin)));
        await bobEvents.WaitForAsync(l => l.All.OfType<GroupChanged>().Any(g => g.GroupId == group.GroupId), "bob heard of the group");

        var ack = await a.SendToGroupAsync(group.GroupId, "saturday?").WaitAsync(Clients.Timeout);

        await bobEvents.WaitForAsync(l => l.Messages.Count == 1, "bob got the message");
        await carolEvents.WaitForAsync(l => l.Messages.Count == 1, "carol got the message");
        Assert.Equal((ack.ServerMsgId, group.GroupId, "saturday?"), (bobEvents.Messages[0].ServerMsgId, bobEvents.Messages[0].GroupId, bobEvents.Messages[0].Text));
        await b.MarkReadAsync(alice, [ack.ServerMsgId]);
        await aliceEvents.WaitForAsync(l => l.Receipts.Count(r => r.Status == ReceiptStatus.Delivered) == 2, "delivered by both");
        Assert.Equal(new[] { bob, carol }.Order(), aliceEvents.Receipts.Where(r => r.Status == ReceiptStatus.Delivered).Select(r => r.By).Order());
        await aliceEvents.WaitForAsync(l => l.Receipts.Any(r => r.Status == ReceiptStatus.Read && r.By == bob), "read by bob");
        Assert.All(aliceEvents.Receipts, r => Assert.Equal(group.GroupId, r.GroupId));
    }

    [Fact]
    public async Task Add_promote_remove_and_leave_answer_with_the_new_version_and_a_refusal_throws_its_code()
    {
        var (alice, bob, carol) = (TestPhones.New(), TestPhones.New(), TestPhones.New());
        await using var a = await Clients.RegisterAsync(_node, alice);
        await using var b = await Clients.RegisterAsync(_node, bob);
        await using var c = await Clients.RegisterAsync(_node, carol);
        var group = await a.CreateGroupAsync("club", [bob]).WaitAsync(Clients.Timeout);

        var refused = await Assert.ThrowsAsync<AkkaChatException>(() => b.AddMembersAsync(group.GroupId, [carol]).WaitAsync(Clients.Timeout));
        Assert.Equal(ErrorCode.Forbidden, refused.Code);
        var unknown = await Assert.ThrowsAsync<AkkaChatException>(() => a.AddMembersAsync(group.GroupId, [TestPhones.New()]).WaitAsync(Clients.Timeout));
        Assert.Equal(ErrorCode.NotFound, unknown.Code);

        Assert.Equal(2UL, (await a.AddMembersAsync(group.Address, [carol]).WaitAsync(Clients.Timeout)).Version);
        var promoted = await a.PromoteAsync(group.GroupId, [bob]).WaitAsync(Clients.Timeout);
        Assert.True(promoted.Members.Single(m => m.Phone == bob).Admin);
        var removed = await b.RemoveMembersAsync(group.GroupId, [carol]).WaitAsync(Clients.Timeout);
        Assert.False(removed.IsMember(carol));
        var left = await a.LeaveGroupAsync(group.GroupId).WaitAsync(Clients.Timeout);
        Assert.Equal(new[] { bob }, left.Members.Select(m => m.Phone));
        Assert.Equal(5UL, left.Version);
        Assert.Equal("club", (await b.GetGroupAsync(group.GroupId).WaitAsync(Clients.Timeout)).Subject);
    }
}
