using System.Collections.Concurrent;
using AkkaChat.Node.Presence;
using AkkaChat.Node.Presence.Internal;
using Xunit.Abstractions;

namespace AkkaChat.Node.Tests.Presence;

/// <summary>The node's chat recorder: one write per new pair, none for a pair it has written, a failed write retried on the pair's next message.</summary>
public sealed class ChatRecorderTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("akka.actor.provider = local", output: output)
{
    private const string Alice = "+447700900123";
    private const string Bob = "+14155550100";
    private const string Carol = "+14155550101";
    private const string Dave = "+14155550102";

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_pair_seen_many_times_either_way_is_written_once()
    {
        var store = new RecordingStore();
        var recorder = Sys.ActorOf(ChatRecorder.Props(store, new PresenceSettings(TimeSpan.FromHours(1), 1_000)));

        recorder.Tell(new ChatSeen(Alice, Bob), Akka.Actor.ActorRefs.NoSender);
        recorder.Tell(new ChatSeen(Bob, Alice), Akka.Actor.ActorRefs.NoSender);
        recorder.Tell(new ChatSeen(Alice, Bob), Akka.Actor.ActorRefs.NoSender);
        recorder.Tell(new ChatSeen(Carol, Dave), Akka.Actor.ActorRefs.NoSender); // the last one: once it is written, every earlier one was handled

        AwaitCondition(() => store.Pairs.Contains(Pair(Carol, Dave)), Deadline);
        Assert.Equal(1, store.Pairs.Count(p => p == Pair(Alice, Bob)));
        Assert.Equal(2, store.Pairs.Count);
    }

    [Fact]
    public void A_pair_whose_write_failed_is_written_on_its_next_message()
    {
        var store = new RecordingStore { FailNext = true };
        var recorder = Sys.ActorOf(ChatRecorder.Props(store, new PresenceSettings(TimeSpan.FromHours(1), 1_000)));

        recorder.Tell(new ChatSeen(Alice, Bob), Akka.Actor.ActorRefs.NoSender);
        AwaitCondition(() => store.Calls == 1, Deadline);
        Assert.Empty(store.Pairs);

        recorder.Tell(new ChatSeen(Bob, Alice), Akka.Actor.ActorRefs.NoSender);
        AwaitCondition(() => store.Pairs.Contains(Pair(Alice, Bob)), Deadline);
    }

    [Fact]
    public void A_message_to_oneself_records_nothing()
    {
        var store = new RecordingStore();
        var recorder = Sys.ActorOf(ChatRecorder.Props(store, new PresenceSettings(TimeSpan.FromHours(1), 1_000)));

        recorder.Tell(new ChatSeen(Alice, Alice), Akka.Actor.ActorRefs.NoSender);
        recorder.Tell(new ChatSeen(Carol, Dave), Akka.Actor.ActorRefs.NoSender);

        AwaitCondition(() => store.Pairs.Contains(Pair(Carol, Dave)), Deadline);
        Assert.Single(store.Pairs);
    }

    private static (string, string) Pair(string a, string b) => string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a);

    /// <summary>Keeps the pairs written (lesser number first, as the store orders them); can fail one call.</summary>
    private sealed class RecordingStore : IAcquaintances
    {
        private int _calls;

        public ConcurrentBag<(string, string)> Pairs { get; } = [];

        public volatile bool FailNext;

        public int Calls => Volatile.Read(ref _calls);

        public Task RecordChatsAsync(IReadOnlyCollection<(string A, string B)> pairs, CancellationToken cancel = default)
        {
            Interlocked.Increment(ref _calls);
            if (FailNext)
            {
                FailNext = false;
                return Task.FromException(new InvalidOperationException("database down"));
            }

            foreach (var (a, b) in pairs)
            {
                Pairs.Add(Pair(a, b));
            }

            return Task.CompletedTask;
        }

        public Task ReplaceGroupMembersAsync(string groupId, IReadOnlyCollection<string> members, CancellationToken cancel = default) => Task.CompletedTask;

        public Task<IReadOnlySet<string>> AcquaintedAsync(string owner, IReadOnlyCollection<string> phones, CancellationToken cancel = default) =>
            Task.FromResult<IReadOnlySet<string>>(new HashSet<string>());
    }
}
