using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;
using static AkkaChat.Conformance.CheckContext;

namespace AkkaChat.Conformance.Checks;

/// <summary>PROTOCOL.md "Groups", including FORBIDDEN.</summary>
public static class GroupChecks
{
    private const string Area = "groups";

    public static IEnumerable<Check> All()
    {
        yield return new Check(Area, "create_makes_the_sender_admin", "GROUP_CREATE makes the sender admin; answers are GROUP_INFO (queued, seq > 0)", async c =>
        {
            var (alice, bob, info) = await CreateAsync(c);
            Require(info.GroupId.Length > 0 && info.Seq > 0, $"GROUP_INFO group_id \"{info.GroupId}\" seq {info.Seq}");
            Require(info.Members.Any(m => m.Phone == alice.Phone && m.Admin), "the creator is not an admin member");
            Require(info.Members.Any(m => m.Phone == bob.Phone && !m.Admin), "the added member is missing or is admin");
            var theirs = await bob.Connection.ExpectAsync<GroupInfo>(c.Answer, "GROUP_INFO at the added member");
            Require(theirs.GroupId == info.GroupId && theirs.Seq > 0, "the member's GROUP_INFO differs or is not queued");
            return null;
        });

        yield return new Check(Area, "get_answers_group_info_with_seq_0", "seq = 0 when it only answers GROUP_GET", async c =>
        {
            var (alice, _, info) = await CreateAsync(c);
            var id = NewId("gg");
            await alice.Connection.SendAsync(new GroupGet { RequestId = id, GroupId = info.GroupId });
            var got = await alice.Connection.ExpectAsync<GroupInfo>(c.Answer, "GROUP_INFO for GROUP_GET", g => g.RequestId == id);
            Require(got.Seq == 0, $"GROUP_INFO answering GROUP_GET has seq {got.Seq}");
            Require(got.Members.Count == info.Members.Count, "GROUP_GET lists other members than GROUP_CREATE did");
            return null;
        });

        yield return new Check(Area, "message_is_acked_once_and_fanned_out", "A group message is stored once, acknowledged once with SEND_ACK, and fanned out as DELIVER (with group_id) to every other member", async c =>
        {
            var (alice, bob, info) = await CreateAsync(c);
            await bob.Connection.ExpectAsync<GroupInfo>(c.Answer, "GROUP_INFO at the member");
            var ack = await c.SendTextAsync(alice, "g:" + info.GroupId, "hi group");
            var d = await bob.Connection.ExpectAsync<Deliver>(c.Answer, "the group DELIVER");
            Require(d.GroupId == info.GroupId && d.From == alice.Phone && d.ServerMsgId == ack.ServerMsgId, $"DELIVER group_id \"{d.GroupId}\" from {d.From}");
            var own = await alice.Connection.DrainAsync(c.Quiet);
            Require(!own.Any(f => f.Message is Deliver), "the sender got its own group message");
            Require(!own.Any(f => f.Message is SendAck), "a second SEND_ACK for one group message");
            return null;
        });

        yield return new Check(Area, "member_who_is_not_admin_cannot_add", "Only admins add, remove or promote (FORBIDDEN)", async c =>
        {
            var (_, bob, info) = await CreateAsync(c);
            var carol = await c.RegisterAsync();
            var id = NewId("gu");
            await bob.Connection.SendAsync(new GroupUpdate { RequestId = id, GroupId = info.GroupId, Add = { carol.Phone } });
            await bob.Connection.ExpectErrorAsync(ErrorCode.Forbidden, c.Answer);
            return null;
        });

        yield return new Check(Area, "member_may_leave", "any member may change nothing else but may leave", async c =>
        {
            var (alice, bob, info) = await CreateAsync(c);
            await bob.Connection.ExpectAsync<GroupInfo>(c.Answer, "GROUP_INFO at the member");
            await bob.Connection.SendAsync(new GroupUpdate { RequestId = NewId("gl"), GroupId = info.GroupId, Leave = true });
            var after = await alice.Connection.ExpectAsync<GroupInfo>(c.Answer, "GROUP_INFO after the leave", g => g.Seq > info.Seq);
            Require(after.Members.All(m => m.Phone != bob.Phone), "the member who left is still listed");
            return null;
        });

        yield return new Check(Area, "admin_adds_and_every_member_hears_of_it", "GROUP_INFO (queued) to every member when membership changes", async c =>
        {
            var (alice, bob, info) = await CreateAsync(c);
            await bob.Connection.ExpectAsync<GroupInfo>(c.Answer, "GROUP_INFO at the member");
            var carol = await c.RegisterAsync();
            await alice.Connection.SendAsync(new GroupUpdate { RequestId = NewId("ga"), GroupId = info.GroupId, Add = { carol.Phone } });
            foreach (var member in new[] { alice, bob, carol })
            {
                var g = await member.Connection.ExpectAsync<GroupInfo>(c.Answer, $"GROUP_INFO at {member.Phone}", x => x.Members.Any(m => m.Phone == carol.Phone));
                Require(g.Seq > 0, "a membership change GROUP_INFO is not queued");
            }

            return null;
        });
    }

    private static async Task<(ChatSession Alice, ChatSession Bob, GroupInfo Info)> CreateAsync(CheckContext c)
    {
        var alice = await c.RegisterAsync();
        var bob = await c.RegisterAsync();
        var id = NewId("gc");
        await alice.Connection.SendAsync(new GroupCreate { RequestId = id, Subject = "conformance", Members = { bob.Phone } });
        var info = await alice.Connection.ExpectAsync<GroupInfo>(c.Answer, "GROUP_INFO for GROUP_CREATE", g => g.RequestId == id || g.Subject == "conformance");
        return (alice, bob, info);
    }
}
