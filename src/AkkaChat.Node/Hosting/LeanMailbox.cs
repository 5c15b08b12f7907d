using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace AkkaChat.Node.Hosting;

/// <summary>
/// The node's default mailbox (<c>akka.actor.default-mailbox.mailbox-type</c> in hocon/akkachat.conf)
/// and its deque-based one for actors with a stash (every persistent actor:
/// <c>akka.actor.mailbox.unbounded-deque-based.mailbox-type</c>): unbounded, FIFO, many senders and
/// one receiver, like Akka's <see cref="UnboundedMailbox"/> and <see cref="UnboundedDequeBasedMailbox"/>,
/// but holding no array while the actor is idle. Akka's default queue is a <c>ConcurrentQueue</c>
/// whose first segment (32 slots, about 1.1 KB with the segment) is allocated with the actor and kept
/// for its life; an idle logged-in connection has five actors (connection, its stream graph, the
/// user, the user's key store, the user's presence), so that was about 5.5 KB of the idle connection's heap.
/// <para>See <see cref="LeanMessageQueue"/> for how it holds messages.</para>
/// </summary>
public sealed class LeanMailbox : MailboxType, IProducesMessageQueue<LeanMessageQueue>
{
    public LeanMailbox(Settings settings, Config config)
        : base(settings, config)
    {
    }

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new LeanMessageQueue();
}

/// <summary>
/// A ring buffer under a lock: the array is allocated on the first message (4 slots) and doubles
/// when full; when the queue empties, an array larger than <see cref="KeptCapacity"/> slots is let
/// go (the next message allocates a small one), so an actor that once had a burst does not keep
/// the burst's array while idle, and a quiet actor keeps at most a few slots (about 150 bytes).
/// Senders contend only for the length of one array write; the receiver dequeues one message per
/// lock. Order is FIFO over all senders, as with Akka's default queue; <see cref="EnqueueFirst"/>
/// (a stash's unstash) puts a message before all others. It locks itself (no lock
/// object: 24 bytes per actor); nothing else ever sees the queue to lock it.
/// </summary>
public sealed class LeanMessageQueue : IMessageQueue, IUnboundedDequeBasedMessageQueueSemantics
{
    /// <summary>An emptied queue keeps an array of at most this many slots; larger ones are released.</summary>
    public const int KeptCapacity = 8;

    private const int FirstCapacity = 4;
    private Envelope[]? _items;
    private int _head;
    private int _count;

    public bool HasMessages => Volatile.Read(ref _count) > 0;

    public int Count => Volatile.Read(ref _count);

    /// <summary>The slots currently allocated (0 when no array is held); for tests.</summary>
    public int Capacity
    {
        get
        {
            lock (this)
            {
                return _items?.Length ?? 0;
            }
        }
    }

    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        lock (this)
        {
            var items = _items;
            if (items is null)
            {
                _items = items = new Envelope[FirstCapacity];
            }
            else if (_count == items.Length)
            {
                items = Grow(items);
            }

            var tail = _head + _count;
            if (tail >= items.Length)
            {
                tail -= items.Length;
            }

            items[tail] = envelope;
            Volatile.Write(ref _count, _count + 1);
        }
    }

    /// <summary>Puts <paramref name="envelope"/> at the head: the next message dequeued (unstashing).</summary>
    public void EnqueueFirst(Envelope envelope)
    {
        lock (this)
        {
            var items = _items;
            if (items is null)
            {
                _items = items = new Envelope[FirstCapacity];
            }
            else if (_count == items.Length)
            {
                items = Grow(items);
            }

            var head = _head - 1;
            _head = head < 0 ? items.Length - 1 : head;
            items[_head] = envelope;
            Volatile.Write(ref _count, _count + 1);
        }
    }

    public bool TryDequeue(out Envelope envelope)
    {
        if (Volatile.Read(ref _count) == 0)
        {
            envelope = default;
            return false;
        }

        lock (this)
        {
            if (_count == 0)
            {
                envelope = default;
                return false;
            }

            var items = _items!;
            envelope = items[_head];
            items[_head] = default; // the message is not kept reachable from the queue
            var head = _head + 1;
            _head = head == items.Length ? 0 : head;
            var count = _count - 1;
            Volatile.Write(ref _count, count);
            if (count == 0)
            {
                _head = 0;
                if (items.Length > KeptCapacity)
                {
                    _items = null;
                }
            }

            return true;
        }
    }

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope))
        {
            deadletters.Enqueue(owner, envelope);
        }
    }

    private Envelope[] Grow(Envelope[] items)
    {
        var grown = new Envelope[items.Length * 2];
        var firstPart = items.Length - _head;
        Array.Copy(items, _head, grown, 0, firstPart);
        Array.Copy(items, 0, grown, firstPart, _head);
        _head = 0;
        _items = grown;
        return grown;
    }
}
