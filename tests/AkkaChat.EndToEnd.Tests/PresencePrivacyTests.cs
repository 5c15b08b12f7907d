using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Member = AkkaChat.EndToEnd.Tests.GroupTests.Member;
using PresenceFrame = AkkaChat.Protocol.Messages.Presence;

namespace AkkaChat.EndToEnd.Tests;

/// <summary>
/// The presence privacy rule beyond the address book, against a real node process: people a user
/// has a chat with, and the members of its groups, may be watched (docs/presence.md). Chats and
/// group memberships are recorded just after the SEND or the change, off its path, so a check waits
/// for the rule to allow (or stop allowing) with a deadline.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PresencePrivacyTests(GroupNodeFixture fixture) : IClassFixture<GroupNodeFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly NodeProcess _node = fixture.Node;

    /// <summary>Subscribes to <paramref name="phone"/> until its PRESENCE says <paramref name="online"/>, or fails at the deadline.</summary>
    private static async Task ExpectSeenOnlineAsync(ProtocolClient client, string phone, bool online)
    {
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            await client.SendAsync(new PresenceSubscribe { Phones = { phone } });
            var presence = await client.ExpectAsync<PresenceFrame>();
            Assert.Equal(phone, presence.Phone);
            if (presence.Online == online)
            {
                return;
            }

            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"{phone} still seen {(presence.Online ? "online" : "offline")} after {Deadline}");
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_user_may_watch_someone_it_sent_a_message_to_and_the_recipient_may_watch_the_sender()
    {
        await using var alice = await Member.RegisterAsync(_node);
        await using var bob = await Member.RegisterAsync(_node);
        await using var carol = await Member.RegisterAsync(_node);

        // Before any chat, neither has the other in a book: answered offline though both are online.
        await alice.Client.SendAsync(new PresenceSubscribe { Phones = { bob.Phone } });
        Assert.False((await alice.Client.ExpectAsync<PresenceFrame>()).Online);

        await alice.Client.SendTextAsync(bob.Phone, "hi-1", "hello bob");
        var deliver = await bob.Client.ExpectAsync<Deliver>();
        await bob.Client.SendAsync(new Ack { UpToSeq = deliver.Seq });
        var receipt = await alice.Client.ExpectAsync<Receipt>(); // DELIVERED, queued for alice
        await alice.Client.SendAsync(new Ack { UpToSeq = receipt.Seq });

        await ExpectSeenOnlineAsync(alice.Client, bob.Phone, online: true);
        await ExpectSeenOnlineAsync(bob.Client, alice.Phone, online: true);
        // Carol has no chat with either: still answered offline with no last seen.
        await carol.Client.SendAsync(new PresenceSubscribe { Phones = { alice.Phone, bob.Phone } });
        foreach (var _ in new[] { alice, bob })
        {
            var presence = await carol.Client.ExpectAsync<PresenceFrame>();
            Assert.False(presence.Online);
            Assert.Equal(0, presence.LastSeenMs);
        }
    }

    [Fact]
    public async Task A_user_may_watch_the_members_of_its_groups_and_no_longer_once_they_have_left()
    {
        await using var alice = await Member.RegisterAsync(_node);
        await using var bob = await Member.RegisterAsync(_node);
        await using var carol = await Member.RegisterAsync(_node);
        var group = await alice.CreateAsync(bob.Phone);
        await bob.ExpectInfoAsync(version: 1);

        await ExpectSeenOnlineAsync(alice.Client, bob.Phone, online: true);
        await ExpectSeenOnlineAsync(bob.Client, alice.Phone, online: true);
        await carol.Client.SendAsync(new PresenceSubscribe { Phones = { alice.Phone } }); // not in the group
        Assert.False((await carol.Client.ExpectAsync<PresenceFrame>()).Online);

        await bob.Client.SendAsync(new GroupUpdate { RequestId = "bye", GroupId = group.GroupId, Leave = true });
        await bob.ExpectInfoAsync(version: 2);
        await alice.ExpectInfoAsync(version: 2);

        // A new session of alice (the old one's subscriptions end with it) may no longer watch bob.
        // Her ACK of version 2 may still be on its way from the old session: then that GROUP_INFO,
        // and nothing else, comes again first.
        await using var aliceAgain = await _node.ConnectAsync();
        var login = await aliceAgain.LoginAsync(alice.Phone, alice.Token);
        Assert.InRange(login.Pending, 0UL, 1UL);
        if (login.Pending == 1)
        {
            var again = await aliceAgain.ExpectAsync<GroupInfo>();
            Assert.Equal(2UL, again.Version);
            await aliceAgain.SendAsync(new Ack { UpToSeq = again.Seq });
        }

        await ExpectSeenOnlineAsync(aliceAgain, bob.Phone, online: false);
    }
}
