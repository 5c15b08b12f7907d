using Akka.Actor;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;
using AkkaChat.Node.Hosting;
using Xunit;
using Xunit.Abstractions;

namespace AkkaChat.Node.Tests.Hosting;

/// <summary>
/// The node's default mailbox: FIFO over all senders, nothing held while empty, a burst's array
/// released when the queue empties; and the node's configuration makes it every plain actor's mailbox.
/// </summary>
public sealed class LeanMailboxTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(NodeConfig.ReferenceConfig, output: output)
{
    private static Envelope Message(int i) => new(i, ActorRefs.NoSender);

    [Fact]
    public void An_empty_queue_holds_no_array_and_a_small_one_is_kept_after_it_empties()
    {
        var queue = new LeanMessageQueue();
        Assert.Equal(0, queue.Capacity);
        Assert.False(queue.HasMessages);

        queue.Enqueue(ActorRefs.Nobody, Message(1));
        Assert.True(queue.HasMessages);
        Assert.Equal(1, queue.Count);
        Assert.True(queue.TryDequeue(out var envelope));
        Assert.Equal(1, envelope.Message);
        Assert.False(queue.TryDequeue(out _));
        Assert.InRange(queue.Capacity, 1, LeanMessageQueue.KeptCapacity);
    }

    [Fact]
    public void A_burst_keeps_its_order_through_growth_and_wrap_around_and_its_array_is_released_when_emptied()
    {
        var queue = new LeanMessageQueue();
        var next = 0;
        var expected = 0;
        // Interleave so the ring's head moves before each growth: order must survive the copy.
        for (var round = 0; round < 50; round++)
        {
            for (var i = 0; i < 7; i++)
            {
                queue.Enqueue(ActorRefs.Nobody, Message(next++));
            }

            for (var i = 0; i < 3; i++)
            {
                Assert.True(queue.TryDequeue(out var e));
                Assert.Equal(expected++, e.Message);
            }
        }

        Assert.Equal(next - expected, queue.Count);
        Assert.True(queue.Capacity > LeanMessageQueue.KeptCapacity);
        while (queue.TryDequeue(out var e))
        {
            Assert.Equal(expected++, e.Message);
        }

        Assert.Equal(next, expected);
        Assert.Equal(0, queue.Capacity);
        Assert.False(queue.HasMessages);
    }

    [Fact]
    public async Task Concurrent_senders_lose_nothing_and_each_senders_order_is_kept()
    {
        const int senders = 4;
        const int perSender = 20_000;
        var queue = new LeanMessageQueue();
        var producing = Enumerable.Range(0, senders).Select(s => Task.Run(() =>
        {
            for (var i = 0; i < perSender; i++)
            {
                queue.Enqueue(ActorRefs.Nobody, new Envelope((s, i), ActorRefs.NoSender));
            }
        })).ToArray();

        var last = Enumerable.Repeat(-1, senders).ToArray();
        var received = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (received < senders * perSender && DateTime.UtcNow < deadline)
        {
            if (!queue.TryDequeue(out var e))
            {
                await Task.Yield();
                continue;
            }

            var (s, i) = ((int, int))e.Message;
            Assert.Equal(last[s] + 1, i);
            last[s] = i;
            received++;
        }

        await Task.WhenAll(producing);
        Assert.Equal(senders * perSender, received);
        Assert.False(queue.TryDequeue(out _));
    }

    [Fact]
    public void Clean_up_hands_what_is_left_to_dead_letters_in_order()
    {
        var queue = new LeanMessageQueue();
        var dead = new UnboundedMessageQueue();
        for (var i = 0; i < 10; i++)
        {
            queue.Enqueue(ActorRefs.Nobody, Message(i));
        }

        queue.CleanUp(ActorRefs.Nobody, dead);
        Assert.Equal(0, queue.Count);
        for (var i = 0; i < 10; i++)
        {
            Assert.True(dead.TryDequeue(out var e));
            Assert.Equal(i, e.Message);
        }
    }

    [Fact]
    public void Enqueue_first_puts_a_message_before_all_others_also_across_wrap_around_and_growth()
    {
        var queue = new LeanMessageQueue();
        queue.Enqueue(ActorRefs.Nobody, Message(10));
        queue.Enqueue(ActorRefs.Nobody, Message(11));
        Assert.True(queue.TryDequeue(out _)); // the head moves off slot 0
        for (var i = 9; i >= 0; i--)
        {
            queue.EnqueueFirst(Message(i)); // wraps below slot 0, then grows
        }

        queue.Enqueue(ActorRefs.Nobody, Message(12));
        var expected = new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12 };
        foreach (var e in expected)
        {
            Assert.True(queue.TryDequeue(out var envelope));
            Assert.Equal(e, envelope.Message);
        }

        Assert.False(queue.HasMessages);
    }

    private sealed class Stashing : UntypedActor, IWithUnboundedStash
    {
        private bool _open;

        public IStash Stash { get; set; } = null!;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case "open":
                    _open = true;
                    Stash.UnstashAll();
                    break;
                case var _ when !_open:
                    Stash.Stash();
                    break;
                default:
                    Sender.Tell(message);
                    break;
            }
        }
    }

    [Fact]
    public void Under_the_node_configuration_a_stashing_actor_gets_the_lean_queue_and_unstashes_in_order()
    {
        var actor = Sys.ActorOf(Props.Create(() => new Stashing()));
        for (var i = 0; i < 100; i++)
        {
            actor.Tell(i, TestActor);
        }

        actor.Tell("open", TestActor);
        actor.Tell(100, TestActor);
        for (var i = 0; i <= 100; i++)
        {
            ExpectMsg(i, TimeSpan.FromSeconds(10));
        }

        var cell = (ActorCell)((ActorRefWithCell)actor).Underlying;
        Assert.IsType<LeanMessageQueue>(cell.Mailbox!.MessageQueue);
    }

    private sealed class Echo : UntypedActor
    {
        protected override void OnReceive(object message) => Sender.Tell(message);
    }

    [Fact]
    public void Under_the_node_configuration_a_plain_actor_gets_the_lean_queue_and_answers_in_order()
    {
        var real = Sys.ActorOf(Props.Create(() => new Echo()));
        for (var i = 0; i < 1000; i++)
        {
            real.Tell(i, TestActor);
        }

        for (var i = 0; i < 1000; i++)
        {
            ExpectMsg(i, TimeSpan.FromSeconds(10));
        }

        // Started (it answered): its cell and mailbox exist.
        var cell = (ActorCell)((ActorRefWithCell)real).Underlying;
        Assert.IsType<LeanMessageQueue>(cell.Mailbox!.MessageQueue);
    }
}
