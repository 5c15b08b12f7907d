using Akka.Configuration;
using AkkaChat.Node.Groups;
using AkkaChat.Node.Groups.Contracts;
using AkkaChat.Node.Hosting;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Node.Tests.Groups;

/// <summary>A group's rules, without an actor: decide, apply, look at the state and the items it queues.</summary>
public sealed class GroupStateTests
{
    private const string Admin = "+14155550100";
    private const string Alice = "+447700900123";
    private const string Bob = "+4915112345678";
    private const string Carol = "+33612345678";

    private static readonly GroupSettings Settings = GroupSettings.Create(NodeConfig.Load(null, []));

    private readonly GroupState _state = new("g1", Settings);
    private readonly List<QueueGroupItem> _queued = new();

    [Fact]
    public void Settings_have_the_documented_defaults()
    {
        Assert.Equal(256, Settings.MaxMembers);
        Assert.Equal(4096, Settings.DedupWindow);
        Assert.Equal(TimeSpan.FromSeconds(5), Settings.ResendInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(200), Settings.ProgressJournalDelay);
        Assert.Equal(200, Settings.SnapshotAfter);
        Assert.Equal(TimeSpan.FromMinutes(2), Settings.PassivateAfter);
        Assert.Equal(TimeSpan.FromDays(30), Settings.RetentionMaxAge);
    }

    [Fact]
    public void A_bad_groups_setting_fails_naming_its_key()
    {
        var config = ConfigurationFactory.ParseString("akkachat.groups.max-members = 0").WithFallback(NodeConfig.Load(null, []));
        var e = Assert.Throws<ConfigurationException>(() => GroupSettings.Create(config));
        Assert.Contains("akkachat.groups.max-members", e.Message);
    }

    [Fact]
    public void Creating_makes_the_creator_admin_and_queues_version_one_to_every_member()
    {
        Create(Alice, Bob);

        Assert.Equal(1UL, _state.Version);
        Assert.Equal(new[] { Admin, Alice, Bob }, _state.Members.Select(m => m.Phone));
        Assert.True(_state.IsAdmin(Admin));
        Assert.False(_state.IsAdmin(Alice));
        Assert.Equal(new[] { Admin, Alice, Bob }, _queued.Select(i => i.Phone));
        Assert.All(_queued, i => Assert.Equal(1UL, i.ItemNo));
        Assert.All(_queued, i => Assert.Equal(1UL, i.Info.Version));
        Assert.Equal("r1", _queued[0].Info.RequestId);
        Assert.Empty(_queued[1].Info.RequestId);
    }

    [Fact]
    public void A_group_larger_than_max_members_is_refused()
    {
        var members = Enumerable.Range(0, Settings.MaxMembers).Select(i => $"+1555{i:D7}").ToList();
        var decision = _state.DecideCreate(new CreateGroup { Creator = Admin, Members = { members }, RequestId = "r" }, 1);
        AssertError(decision, ErrorCode.BadRequest);
    }

    [Fact]
    public void Only_admins_add_remove_promote_or_change_the_subject()
    {
        Create(Alice);
        AssertError(_state.DecideUpdate(new UpdateGroup { By = Alice, Add = { Bob }, RequestId = "u" }, 2), ErrorCode.Forbidden);
        AssertError(_state.DecideUpdate(new UpdateGroup { By = Alice, Remove = { Admin }, RequestId = "u" }, 2), ErrorCode.Forbidden);
        AssertError(_state.DecideUpdate(new UpdateGroup { By = Alice, Promote = { Alice }, RequestId = "u" }, 2), ErrorCode.Forbidden);
        AssertError(_state.DecideUpdate(new UpdateGroup { By = Alice, Subject = "mine", RequestId = "u" }, 2), ErrorCode.Forbidden);
        AssertError(_state.DecideUpdate(new UpdateGroup { By = Carol, Leave = true, RequestId = "u" }, 2), ErrorCode.Forbidden);
    }

    [Fact]
    public void A_change_queues_the_new_version_to_old_and_new_members()
    {
        Create(Alice, Bob);
        _queued.Clear();

        Update(new UpdateGroup { By = Admin, Add = { Carol }, Remove = { Bob }, RequestId = "u1" });

        Assert.Equal(2UL, _state.Version);
        Assert.Equal(new[] { Admin, Alice, Bob, Carol }.Order(), _queued.Select(i => i.Phone).Order());
        Assert.All(_queued, i => Assert.Equal(2UL, i.Info.Version));
        Assert.Equal(2UL, _queued.Single(i => i.Phone == Bob).ItemNo);
        Assert.Equal(1UL, _queued.Single(i => i.Phone == Carol).ItemNo);
        Assert.DoesNotContain(Bob, _queued[0].Info.Members.Select(m => m.Phone));
    }

    [Fact]
    public void When_the_last_admin_leaves_the_oldest_member_becomes_admin()
    {
        Create(Alice, Bob);

        Update(new UpdateGroup { By = Admin, Leave = true, RequestId = "bye" });

        Assert.False(_state.IsMember(Admin));
        Assert.True(_state.IsAdmin(Alice));
        Assert.False(_state.IsAdmin(Bob));
    }

    [Fact]
    public void Getting_answers_a_member_with_seq_zero_and_a_non_member_with_forbidden()
    {
        Create(Alice);
        var info = Assert.IsType<GroupInfo>(_state.DecideGet(new GetGroup { By = Alice, RequestId = "g" }).Reply);
        Assert.Equal(0UL, info.Seq);
        Assert.Equal("g", info.RequestId);
        AssertError(_state.DecideGet(new GetGroup { By = Bob, RequestId = "g" }), ErrorCode.Forbidden);
        AssertError(new GroupState("nope", Settings).DecideGet(new GetGroup { By = Bob, RequestId = "g" }), ErrorCode.NotFound);
    }

    [Fact]
    public void A_message_is_held_once_and_queued_to_every_member_but_its_sender()
    {
        Create(Alice, Bob);
        _queued.Clear();

        var ack = Post(Alice, "c1", "hi all");

        Assert.Equal(1, _state.HeldMessages);
        Assert.Equal(new[] { Admin, Bob }, _queued.Select(i => i.Phone));
        Assert.All(_queued, i => Assert.Equal(ack.ServerMsgId, i.Deliver.ServerMsgId));
        Assert.All(_queued, i => Assert.Equal("g1", i.Deliver.GroupId));
        Assert.All(_queued, i => Assert.Equal(2UL, i.ItemNo));
    }

    [Fact]
    public void A_resent_client_msg_id_gets_the_first_send_ack_and_is_not_queued_again()
    {
        Create(Alice);
        var first = Post(Alice, "c1", "once");
        _queued.Clear();

        var decision = _state.DecidePost(new PostGroupMessage { From = Alice, ClientMsgId = "c1", Body = ByteString.CopyFromUtf8("once") }, "other", 9);

        Assert.Empty(decision.Events);
        Assert.Equal(first.ServerMsgId, Assert.IsType<SendAck>(decision.Reply).ServerMsgId);
    }

    [Fact]
    public void A_non_member_may_not_post()
    {
        Create(Alice);
        AssertError(_state.DecidePost(new PostGroupMessage { From = Bob, ClientMsgId = "x" }, "s", 1), ErrorCode.Forbidden);
    }

    [Fact]
    public void Items_stay_unstored_until_the_members_queue_confirms_and_the_body_until_every_recipient_acknowledged()
    {
        Create(Alice);
        var ack = Post(Alice, "c1", "hello");
        Assert.Equal(new[] { (Admin, 1UL), (Admin, 2UL), (Alice, 1UL) }, _state.Unstored.Select(i => (i.Phone, i.ItemNo)).OrderBy(x => x.Phone == Alice).ThenBy(x => x.Item2));

        _state.Apply(new DeliveryProgressed { Stored = { new MemberProgress { Phone = Admin, UpTo = 2 }, new MemberProgress { Phone = Alice, UpTo = 1 } } });
        Assert.Empty(_state.Unstored);
        Assert.True(_state.TryGetBody(ack.ServerMsgId, out _));

        _state.Apply(new DeliveryProgressed { Acknowledged = { new MemberProgress { Phone = Admin, UpTo = 2 } } });
        Assert.False(_state.TryGetBody(ack.ServerMsgId, out _));
    }

    [Fact]
    public void A_snapshot_restores_members_held_bodies_unstored_items_and_idempotency()
    {
        Create(Alice, Bob);
        var ack = Post(Alice, "c1", "hello");
        _state.Apply(new DeliveryProgressed { Stored = { new MemberProgress { Phone = Admin, UpTo = 2 } } });

        var restored = GroupState.FromSnapshot("g1", Settings, GroupSnapshot.Parser.ParseFrom(_state.ToSnapshot().ToByteArray()));

        Assert.Equal(_state.Members.Select(m => (m.Phone, m.Admin)), restored.Members.Select(m => (m.Phone, m.Admin)));
        Assert.Equal(_state.Version, restored.Version);
        Assert.True(restored.TryGetBody(ack.ServerMsgId, out var held));
        Assert.Equal("hello", held.Message.Body.ToStringUtf8());
        Assert.Equal(_state.Unstored.Select(i => (i.Phone, i.ItemNo)).Order(), restored.Unstored.Select(i => (i.Phone, i.ItemNo)).Order());
        Assert.Empty(restored.DecidePost(new PostGroupMessage { From = Alice, ClientMsgId = "c1" }, "x", 5).Events);
    }

    private void Create(params string[] members)
    {
        var decision = _state.DecideCreate(new CreateGroup { GroupId = "g1", Creator = Admin, Subject = "team", Members = { members }, RequestId = "r1" }, 1);
        ApplyAll(decision);
    }

    private void Update(UpdateGroup update) => ApplyAll(_state.DecideUpdate(update, 2));

    private SendAck Post(string from, string clientMsgId, string text)
    {
        var decision = _state.DecidePost(new PostGroupMessage { From = from, ClientMsgId = clientMsgId, Body = ByteString.CopyFromUtf8(text), Kind = 1 }, "s-" + clientMsgId, 3);
        ApplyAll(decision);
        return Assert.IsType<SendAck>(decision.Reply);
    }

    private void ApplyAll(GroupDecision decision)
    {
        Assert.NotEmpty(decision.Events);
        foreach (var e in decision.Events)
        {
            _queued.AddRange(_state.Apply(e));
        }
    }

    private static void AssertError(GroupDecision decision, ErrorCode code)
    {
        Assert.Empty(decision.Events);
        Assert.Equal((uint)code, Assert.IsType<Error>(decision.Reply).Code);
    }
}
