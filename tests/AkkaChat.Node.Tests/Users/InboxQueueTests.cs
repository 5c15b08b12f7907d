using AkkaChat.Node.Contracts;
using AkkaChat.Node.Users;

namespace AkkaChat.Node.Tests.Users;

public sealed class InboxQueueTests
{
    [Fact]
    public void Items_are_found_by_seq_while_many_leave_from_the_front_and_more_arrive()
    {
        var queue = new InboxQueue();
        ulong next = 1;
        ulong first = 1;

        // Waves of arrivals and departures, long enough to compact the dead prefix several times.
        for (var wave = 0; wave < 20; wave++)
        {
            for (var i = 0; i < 50; i++)
            {
                queue.Enqueue(new QueuedItem { Seq = next++ });
            }

            for (var i = 0; i < 45; i++)
            {
                Assert.Equal(first, queue[0].Seq);
                Assert.Equal(first, queue.Dequeue().Seq);
                first++;
            }

            AssertHolds(queue, first, next - 1);
        }

        while (queue.Count > 0)
        {
            Assert.Equal(first++, queue.Dequeue().Seq);
        }

        Assert.False(queue.TryGetBySeq(first - 1, out _));
        Assert.Empty(queue.Items);
    }

    [Fact]
    public void An_empty_queue_finds_no_seq()
    {
        var queue = new InboxQueue();
        Assert.Equal(0, queue.Count);
        Assert.False(queue.TryGetBySeq(0, out _));
        Assert.False(queue.TryGetBySeq(1, out _));
    }

    private static void AssertHolds(InboxQueue queue, ulong firstSeq, ulong lastSeq)
    {
        Assert.Equal((int)(lastSeq - firstSeq + 1), queue.Count);
        Assert.Equal(firstSeq, queue.FirstSeq);
        Assert.False(queue.TryGetBySeq(firstSeq - 1, out _));
        Assert.False(queue.TryGetBySeq(lastSeq + 1, out _));
        for (var seq = firstSeq; seq <= lastSeq; seq++)
        {
            Assert.True(queue.TryGetBySeq(seq, out var item));
            Assert.Equal(seq, item.Seq);
            Assert.Equal(seq, queue[(int)(seq - firstSeq)].Seq);
        }

        Assert.Equal(Enumerable.Range(0, queue.Count).Select(i => firstSeq + (ulong)i), queue.Items.Select(i => i.Seq));
    }
}
