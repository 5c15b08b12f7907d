using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Google.Protobuf;

namespace AkkaChat.EndToEnd.Tests;

/// <summary>One node for the group tests, with a small member limit so the limit can be reached.</summary>
public sealed class GroupNodeFixture : IAsyncLifetime
{
    public const int MaxMembers = 4;

    public const string Config = NodeFixture.Config + "\nakkachat.groups.max-members = 4\n";

    public NodeProcess Node { get; private set; } = null!;

    public async Task InitializeAsync() => Node = await NodeProcess.StartAsync(Config);

    public async Task DisposeAsync() => await Node.DisposeAsync();
}

[Trait("Category", "Slow")]
public sealed class GroupTests(GroupNodeFixture fixture) : IClassFixture<GroupNodeFixture>
{
    private readonly NodeProcess _node = fixture.Node;

    [Fact]
    public async Task Creating_a_group_makes_the_creator_admin_and_queues_group_info_to_every_member()
    {
        await using var alice = await Member.RegisterAsync(_node);
        await using var bob = await Member.RegisterAsync(_node);
        var carol = await Member.RegisterAndLeaveAsync(_node);

        await alice.Client.SendAsync(new GroupCreate { RequestId = "c1", Subject = "climbing", Members = { bob.Phone, carol.Phone } });

        var info = await alice.Client.ExpectAsync<GroupInfo>();
        Assert.Equal(1UL, info.Seq);
        Assert.Equal("c1", info.RequestId);
        Assert.Equal("climbing", info.Subject);
        Assert.Equal(1UL, info.Version);
        Assert.Equal(new[] { (alice.Phone, true), (bob.Phone, false), (carol.Phone, false) }, info.Members.Select(m => (m.Phone, m.Admin)));
        var bobs = await bob.Client.ExpectAsync<GroupInfo>();
        Assert.Equal(1UL, bobs.Seq);
        Assert.Equal(info.GroupId, bobs.GroupId);
        Assert.Empty(bobs.RequestId);

        await using var carolAgain = await carol.LoginAsync(_node, expectPending: 1);
        var carols = await carolAgain.Client.ExpectAsync<GroupInfo>();
        Assert.Equal(info.GroupId, carols.GroupId);
        Assert.Equal(1UL, carols.Seq);
    }

    [Fact]
    public async Task Creating_a_group_with_unregistered_numbers_is_not_found_naming_them()
    {
        await using var alice = await Member.RegisterAsync(_node);
        var (stranger, other) = (TestPhones.New(), TestPhones.New());

        await alice.Client.SendAsync(new GroupCreate { RequestId = "c2", Subject = "x", Members = { stranger, other } });

        var error = await alice.Client.ExpectErrorAsync(ErrorCode.NotFound, "c2");
        Assert.Contains(stranger, error.Message);
        Assert.Contains(other, error.Message);
        await alice.Client.ExpectAliveAsync();
    }

    [Fact]
    public async Task A_group_beyond_max_members_is_refused_on_create_and_on_add()
    {
        await using var alice = await Member.RegisterAsync(_node);
        var others = new List<Member>();
        for (var i = 0; i < GroupNodeFixture.MaxMembers; i++)
        {
            others.Add(await Member.RegisterAndLeaveAsync(_node));
        }

        await alice.Client.SendAsync(new GroupCreate { RequestId = "big", Members = { others.Select(o => o.Phone) } });
        var error = await alice.Client.ExpectErrorAsync(ErrorCode.BadRequest, "big");
        Assert.Contains($"{GroupNodeFixture.MaxMembers}", error.Message);

        var group = await alice.CreateAsync(others.Take(GroupNodeFixture.MaxMembers - 1).Select(o => o.Phone).ToArray());
        await alice.Client.SendAsync(new GroupUpdate { RequestId = "one-more", GroupId = group.GroupId, Add = { others[^1].Phone } });
        await alice.Client.ExpectErrorAsync(ErrorCode.BadRequest, "one-more");
    }

    [Fact]
    public async Task Only_an_admin_adds_removes_and_promotes_anyone_else_is_forbidden()
    {
        await using var alice = await Member.RegisterAsync(_node);
        await using var bob = await Member.RegisterAsync(_node);
        var carol = await Member.RegisterAndLeaveAsync(_node);
        var group = await alice.CreateAsync(bob.Phone);
        await bob.ExpectInfoAsync(version: 1);

        await bob.Client.SendAsync(new GroupUpdate { RequestId = "add", GroupId = group.GroupId, Add = { carol.Phone } });
        await bob.Client.ExpectErrorAsync(ErrorCode.Forbidden, "add");
        await bob.Client.SendAsync(new GroupUpdate { RequestId = "remove", GroupId = group.GroupId, Remove = { alice.Phone } });
        await bob.Client.ExpectErrorAsync(ErrorCode.Forbidden, "remove");
        await bob.Client.SendAsync(new GroupUpdate { RequestId = "promote", GroupId = group.GroupId, Promote = { bob.Phone } });
        await bob.Client.ExpectErrorAsync(ErrorCode.Forbidden, "promote");
        await bob.Client.SendAsync(new GroupUpdate { RequestId = "subject", GroupId = group.GroupId, Subject = "mine now" });
        await bob.Client.ExpectErrorAsync(ErrorCode.Forbidden, "subject");

        await bob.Client.SendAsync(new GroupGet { RequestId = "still", GroupId = group.GroupId });
        var unchanged = await bob.Client.ExpectAsync<GroupInfo>();
        Assert.Equal(1UL, unchanged.Version);
    }

    [Fact]
    public async Task Every_membership_change_queues_the_new_version_to_every_member_old_and_new()
    {
        await using var alice = await Member.RegisterAsync(_node);
        await using var bob = await Member.RegisterAsync(_node);
        await using var carol = await Member.RegisterAsync(_node);
        var group = await alice.CreateAsync(bob.Phone);
        await bob.ExpectInfoAsync(version: 1);

        await alice.Client.SendAsync(new GroupUpdate { RequestId = "swap", GroupId = group.GroupId, Add = { carol.Phone }, Remove = { bob.Phone } });

        var answer = await alice.ExpectInfoAsync(version: 2);
        Assert.Equal("swap", answer.RequestId);
        Assert.Equal(new[] { alice.Phone, carol.Phone }, answer.Members.Select(m => m.Phone));
        var removed = await bob.ExpectInfoAsync(version: 2); // the old member hears it was removed
        Assert.DoesNotContain(bob.Phone, removed.Members.Select(m => m.Phone));
        Assert.Equal(1UL, (await carol.ExpectInfoAsync(version: 2)).Seq); // the new one's first item

        await alice.Client.SendAsync(new GroupUpdate { RequestId = "up", GroupId = group.GroupId, Promote = { carol.Phone } });
        var promoted = await carol.ExpectInfoAsync(version: 3);
        Assert.True(promoted.Members.Single(m => m.Phone == carol.Phone).Admin);
        await alice.ExpectInfoAsync(version: 3);
    }

    [Fact]
    public async Task When_the_last_admin_leaves_the_oldest_member_becomes_admin()
    {
        await using var alice = await Member.RegisterAsync(_node);
        await using var bob = await Member.RegisterAsync(_node);
        await using var carol = await Member.RegisterAsync(_node);
        var group = await alice.CreateAsync(bob.Phone, carol.Phone);
        await bob.ExpectInfoAsync(version: 1);
        await carol.ExpectInfoAsync(version: 1);

        await alice.Client.SendAsync(new GroupUpdate { RequestId = "bye", GroupId = group.GroupId, Leave = true });

        var left = await alice.ExpectInfoAsync(version: 2);
        Assert.Equal(new[] { (bob.Phone, true), (carol.Phone, false) }, left.Members.Select(m => (m.Phone, m.Admin)));
        await carol.ExpectInfoAsync(version: 2);
        var bobs = await bob.ExpectInfoAsync(version: 2);
        Assert.True(bobs.Members.Single(m => m.Phone == bob.Phone).Admin);

        await alice.Client.SendAsync(new GroupGet { RequestId = "after", GroupId = group.GroupId });
        await alice.Client.ExpectErrorAsync(ErrorCode.Forbidden, "after");
    }

    [Fact]
    public async Task Group_get_answers_a_member_with_seq_zero_a_non_member_with_forbidden_and_an_unknown_group_with_not_found()
    {
        await using var alice = await Member.RegisterAsync(_node);
        await using var bob = await Member.RegisterAsync(_node);
        var group = await alice.CreateAsync();

        await alice.Client.SendAsync(new GroupGet { RequestId = "g1", GroupId = group.GroupId });
        var info = await alice.Client.ExpectAsync<GroupInfo>();
        Assert.Equal(0UL, info.Seq);
        Assert.Equal("g1", info.RequestId);
        Assert.Equal(group.GroupId, info.GroupId);

        await bob.Client.SendAsync(new GroupGet { RequestId = "g2", GroupId = group.GroupId });
        await bob.Client.ExpectErrorAsync(ErrorCode.Forbidden, "g2");
        await bob.Client.SendAsync(new GroupGet { RequestId = "g3", GroupId = "0123456789abcdef0123456789abcdef" });
        await bob.Client.ExpectErrorAsync(ErrorCode.NotFound, "g3");
        await bob.Client.SendAsync(new GroupGet { RequestId = "g4", GroupId = "not an id!" });
        await bob.Client.ExpectErrorAsync(ErrorCode.BadRequest, "g4");
    }

    [Fact]
    public async Task A_members_message_is_acknowledged_once_and_delivered_to_every_other_member_with_group_id()
    {
        await using var alice = await Member.RegisterAsync(_node);
        await using var bob = await Member.RegisterAsync(_node);
        var carol = await Member.RegisterAndLeaveAsync(_node);
        var group = await alice.CreateAsync(bob.Phone, carol.Phone);
        await bob.ExpectInfoAsync(version: 1);

        var ack = await alice.Client.SendTextAsync(group.Address(), "m1", "hello group");

        var deliver = await bob.Client.ExpectAsync<Deliver>();
        Assert.Equal(ack.ServerMsgId, deliver.ServerMsgId);
        Assert.Equal(alice.Phone, deliver.From);
        Assert.Equal(group.GroupId, deliver.GroupId);
        Assert.Equal("hello group", deliver.Body.ToStringUtf8());
        Assert.Equal(2UL, deliver.Seq);
        await using var carolAgain = await carol.LoginAsync(_node, expectPending: 2);
        await carolAgain.ExpectInfoAsync(version: 1);
        Assert.Equal("hello group", (await carolAgain.Client.ExpectAsync<Deliver>()).Body.ToStringUtf8());
        await alice.Client.ExpectAliveAsync(); // one SEND_ACK, and the sender gets no copy
    }

    [Fact]
    public async Task A_non_members_send_to_a_group_is_forbidden_and_to_an_unknown_group_not_found()
    {
        await using var alice = await Member.RegisterAsync(_node);
        await using var mallory = await Member.RegisterAsync(_node);
        var group = await alice.CreateAsync();

        await mallory.Client.SendAsync(new Send { ClientMsgId = "x1", To = group.Address(), Kind = 1, Body = ByteString.CopyFromUtf8("let me in") });
        await mallory.Client.ExpectErrorAsync(ErrorCode.Forbidden, "x1");
        await mallory.Client.SendAsync(new Send { ClientMsgId = "x2", To = "g:0123456789abcdef0123456789abcdef", Kind = 1 });
        await mallory.Client.ExpectErrorAsync(ErrorCode.NotFound, "x2");
    }

    [Fact]
    public async Task Messages_of_a_group_reach_every_member_in_the_groups_order()
    {
        await using var alice = await Member.RegisterAsync(_node);
        await using var bob = await Member.RegisterAsync(_node);
        await using var carol = await Member.RegisterAsync(_node);
        var group = await alice.CreateAsync(bob.Phone, carol.Phone);
        await bob.ExpectInfoAsync(version: 1);
        await carol.ExpectInfoAsync(version: 1);

        // Alice and Bob both write, without waiting: the group's order is the order it stored them.
        for (var i = 0; i < 20; i++)
        {
            await alice.Client.SendAsync(new Send { ClientMsgId = $"a{i}", To = group.Address(), Kind = 1, Body = ByteString.CopyFromUtf8($"a{i}") });
            await bob.Client.SendAsync(new Send { ClientMsgId = $"b{i}", To = group.Address(), Kind = 1, Body = ByteString.CopyFromUtf8($"b{i}") });
        }

        var carols = await carol.ReceiveAsync(40);
        var alices = await alice.ReceiveAsync(20); // Bob's, among Alice's SEND_ACKs
        var bobs = await bob.ReceiveAsync(20);
        Assert.Equal(carols.Where(d => d.From == bob.Phone).Select(d => d.ServerMsgId), alices.Select(d => d.ServerMsgId));
        Assert.Equal(carols.Where(d => d.From == alice.Phone).Select(d => d.ServerMsgId), bobs.Select(d => d.ServerMsgId));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"a{i}"), carols.Where(d => d.From == alice.Phone).Select(d => d.Body.ToStringUtf8()));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"b{i}"), carols.Where(d => d.From == bob.Phone).Select(d => d.Body.ToStringUtf8()));
    }

    [Fact]
    public async Task Resending_a_client_msg_id_to_a_group_returns_the_same_send_ack_and_delivers_once()
    {
        await using var alice = await Member.RegisterAsync(_node);
        await using var bob = await Member.RegisterAsync(_node);
        var group = await alice.CreateAsync(bob.Phone);
        await bob.ExpectInfoAsync(version: 1);

        var first = await alice.Client.SendTextAsync(group.Address(), "same", "once");
        var again = await alice.Client.SendTextAsync(group.Address(), "same", "once");

        Assert.Equal(first.ServerMsgId, again.ServerMsgId);
        Assert.Equal(first.ServerTimeMs, again.ServerTimeMs);
        Assert.Equal(first.ServerMsgId, (await bob.Client.ExpectAsync<Deliver>()).ServerMsgId);
        await bob.Client.ExpectAliveAsync(); // no second DELIVER before the PONG
    }

    [Fact]
    public async Task Delivered_and_read_receipts_reach_the_sender_with_group_id_and_by_one_per_member()
    {
        await using var alice = await Member.RegisterAsync(_node);
        await using var bob = await Member.RegisterAsync(_node);
        await using var carol = await Member.RegisterAsync(_node);
        var group = await alice.CreateAsync(bob.Phone, carol.Phone);
        await bob.ExpectInfoAsync(version: 1);
        await carol.ExpectInfoAsync(version: 1);
        var ack = await alice.Client.SendTextAsync(group.Address(), "r1", "did you get this?");

        foreach (var member in new[] { bob, carol })
        {
            var deliver = await member.Client.ExpectAsync<Deliver>();
            await member.Client.SendAsync(new Ack { UpToSeq = deliver.Seq });
            await member.Client.SendAsync(new Read { From = alice.Phone, ServerMsgIds = { deliver.ServerMsgId } });
        }

        var receipts = new List<Receipt>();
        for (var i = 0; i < 4; i++)
        {
            receipts.Add(await alice.Client.ExpectAsync<Receipt>());
        }

        Assert.All(receipts, r => Assert.Equal(group.GroupId, r.GroupId));
        Assert.All(receipts, r => Assert.Equal(ack.ServerMsgId, r.ServerMsgId));
        Assert.All(receipts, r => Assert.Equal("r1", r.ClientMsgId));
        Assert.All(receipts, r => Assert.True(r.Seq > 1)); // queued
        Assert.Equal(
            new[] { (bob.Phone, ReceiptStatus.Delivered), (bob.Phone, ReceiptStatus.Read), (carol.Phone, ReceiptStatus.Delivered), (carol.Phone, ReceiptStatus.Read) }.Order(),
            receipts.Select(r => (r.By, (ReceiptStatus)r.Status)).Order());
        await alice.Client.SendAsync(new Ack { UpToSeq = receipts.Max(r => r.Seq) });
        await alice.Client.ExpectAliveAsync(); // one receipt per member and status, no more
    }

    [Fact]
    public async Task A_group_message_survives_kill_9_and_reaches_an_offline_member_with_its_body_after_restart()
    {
        await using var node = await NodeProcess.StartAsync(GroupNodeFixture.Config);
        var bob = await Member.RegisterAndLeaveAsync(node);
        var acked = new List<string>();
        GroupInfo group;
        await using (var alice = await Member.RegisterAsync(node))
        {
            group = await alice.CreateAsync(bob.Phone);
            for (var i = 0; i < 10; i++)
            {
                acked.Add((await alice.Client.SendTextAsync(group.Address(), $"k{i}", $"body {i}")).ServerMsgId);
            }

            await node.KillAsync();
        }

        await node.StartAsync();
        await using var again = await bob.LoginAsync(node, expectPending: 11);
        await again.ExpectInfoAsync(version: 1);
        var delivered = await again.ReceiveAsync(10);
        Assert.Equal(acked, delivered.Select(d => d.ServerMsgId));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"body {i}"), delivered.Select(d => d.Body.ToStringUtf8()));
    }

    /// <summary>A registered user on one connection, as a client written from the spec would drive it.</summary>
    internal sealed class Member : IAsyncDisposable
    {
        private Member(string phone, ByteString token, ProtocolClient client)
        {
            Phone = phone;
            Token = token;
            Client = client;
        }

        public string Phone { get; }

        public ByteString Token { get; }

        public ProtocolClient Client { get; }

        public static async Task<Member> RegisterAsync(NodeProcess node)
        {
            var phone = TestPhones.New();
            var client = await node.ConnectAsync();
            var ok = await client.RegisterAsync(phone);
            return new Member(phone, ok.Token, client);
        }

        /// <summary>Registered, then disconnected: an offline member.</summary>
        public static async Task<Member> RegisterAndLeaveAsync(NodeProcess node)
        {
            var member = await RegisterAsync(node);
            await member.Client.DisposeAsync();
            return member;
        }

        public async Task<Member> LoginAsync(NodeProcess node, ulong expectPending)
        {
            var client = await node.ConnectAsync();
            var ok = await client.LoginAsync(Phone, Token);
            Assert.Equal(expectPending, ok.Pending);
            return new Member(Phone, Token, client);
        }

        /// <summary>GROUP_CREATE with this user as admin; returns the creator's queued GROUP_INFO (acknowledged).</summary>
        public async Task<GroupInfo> CreateAsync(params string[] members)
        {
            var requestId = Guid.NewGuid().ToString("N");
            await Client.SendAsync(new GroupCreate { RequestId = requestId, Subject = "test group", Members = { members } });
            var info = await Client.ExpectAsync<GroupInfo>();
            Assert.Equal(requestId, info.RequestId);
            await Client.SendAsync(new Ack { UpToSeq = info.Seq });
            return info;
        }

        /// <summary>The next frame is a queued GROUP_INFO of <paramref name="version"/>; it is acknowledged.</summary>
        public async Task<GroupInfo> ExpectInfoAsync(ulong version)
        {
            var info = await Client.ExpectAsync<GroupInfo>();
            Assert.Equal(version, info.Version);
            Assert.True(info.Seq > 0, "a membership change is a queued GROUP_INFO");
            await Client.SendAsync(new Ack { UpToSeq = info.Seq });
            return info;
        }

        /// <summary>
        /// The next <paramref name="count"/> DELIVERs, SEND_ACKs and RECEIPTs of this member's own sends passed
        /// over, duplicates dropped by server_msg_id as the spec tells clients to; each acknowledged.
        /// </summary>
        public async Task<List<Deliver>> ReceiveAsync(int count)
        {
            var delivered = new List<Deliver>();
            var seen = new HashSet<string>();
            while (delivered.Count < count)
            {
                var frame = await Client.ReadFrameAsync() ?? throw new ProtocolExpectationException("connection closed");
                switch (frame.Message)
                {
                    case SendAck or Receipt:
                        break; // answers to this member's own sends
                    case Deliver d:
                        if (seen.Add(d.ServerMsgId))
                        {
                            delivered.Add(d);
                        }

                        await Client.SendAsync(new Ack { UpToSeq = d.Seq });
                        break;
                    default:
                        throw new ProtocolExpectationException($"expected DELIVER, got {frame.Type}: {frame.Message}");
                }
            }

            return delivered;
        }

        public ValueTask DisposeAsync() => Client.DisposeAsync();
    }
}

internal static class GroupInfoExtensions
{
    public static string Address(this GroupInfo info) => ChatAddress.GroupPrefix + info.GroupId;
}
