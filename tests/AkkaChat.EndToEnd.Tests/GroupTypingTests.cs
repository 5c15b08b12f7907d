using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Member = AkkaChat.EndToEnd.Tests.GroupTests.Member;

namespace AkkaChat.EndToEnd.Tests;

/// <summary>TYPING to g:&lt;id&gt; against a real node process: relayed by the group to its connected members, never queued.</summary>
[Trait("Category", "Slow")]
public sealed class GroupTypingTests(GroupNodeFixture fixture) : IClassFixture<GroupNodeFixture>
{
    private readonly NodeProcess _node = fixture.Node;

    [Fact]
    public async Task Typing_in_a_group_reaches_every_other_connected_member_as_typing_notify_with_group_id()
    {
        await using var alice = await Member.RegisterAsync(_node);
        await using var bob = await Member.RegisterAsync(_node);
        await using var carol = await Member.RegisterAsync(_node);
        var group = await alice.CreateAsync(bob.Phone, carol.Phone);
        await bob.ExpectInfoAsync(version: 1);
        await carol.ExpectInfoAsync(version: 1);

        foreach (var state in new[] { TypingState.Composing, TypingState.Recording, TypingState.Paused })
        {
            await alice.Client.SendAsync(new Typing { To = group.Address(), State = (uint)state });
            foreach (var member in new[] { bob, carol })
            {
                var notify = await member.Client.ExpectAsync<TypingNotify>();
                Assert.Equal(alice.Phone, notify.From);
                Assert.Equal(group.GroupId, notify.GroupId);
                Assert.Equal((uint)state, notify.State);
            }
        }

        await alice.Client.ExpectAliveAsync(); // the typist gets no copy of its own typing
    }

    [Fact]
    public async Task Group_typing_is_never_queued_an_offline_member_gets_none_at_login()
    {
        await using var alice = await Member.RegisterAsync(_node);
        await using var bob = await Member.RegisterAsync(_node);
        var dave = await Member.RegisterAndLeaveAsync(_node);
        var group = await alice.CreateAsync(bob.Phone, dave.Phone);
        await bob.ExpectInfoAsync(version: 1);

        await alice.Client.SendAsync(new Typing { To = group.Address(), State = (uint)TypingState.Composing });
        Assert.Equal(group.GroupId, (await bob.Client.ExpectAsync<TypingNotify>()).GroupId); // the group relayed it

        await using var daveAgain = await dave.LoginAsync(_node, expectPending: 1); // the GROUP_INFO only
        await daveAgain.ExpectInfoAsync(version: 1);
        await daveAgain.Client.ExpectAliveAsync(); // no TYPING_NOTIFY before the PONG
    }

    [Fact]
    public async Task Typing_from_a_non_member_is_dropped_silently_and_reaches_no_member()
    {
        await using var alice = await Member.RegisterAsync(_node);
        await using var bob = await Member.RegisterAsync(_node);
        await using var mallory = await Member.RegisterAsync(_node);
        var group = await alice.CreateAsync(bob.Phone);
        await bob.ExpectInfoAsync(version: 1);

        await mallory.Client.SendAsync(new Typing { To = group.Address(), State = (uint)TypingState.Composing });
        await mallory.Client.ExpectAliveAsync(); // no error; the TYPING has gone to the group
        await alice.Client.SendAsync(new Typing { To = group.Address(), State = (uint)TypingState.Recording });

        // Both went to the group through the same shard region, mallory's first: bob's next frame is alice's.
        var notify = await bob.Client.ExpectAsync<TypingNotify>();
        Assert.Equal(alice.Phone, notify.From);
        Assert.Equal((uint)TypingState.Recording, notify.State);
        await bob.Client.ExpectAliveAsync();
    }

    [Fact]
    public async Task Typing_to_an_unknown_group_is_dropped_silently_and_the_connection_stays()
    {
        await using var alice = await Member.RegisterAsync(_node);

        await alice.Client.SendAsync(new Typing { To = "g:" + Guid.NewGuid().ToString("N"), State = (uint)TypingState.Composing });
        await alice.Client.ExpectAliveAsync();
        await alice.Client.SendAsync(new Typing { To = "g:not a group id!", State = (uint)TypingState.Composing });
        await alice.Client.ExpectErrorAsync(ErrorCode.BadRequest);
        await alice.Client.ExpectAliveAsync();
    }
}
