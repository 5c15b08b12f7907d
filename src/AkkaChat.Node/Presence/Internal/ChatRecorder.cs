using Akka.Actor;
using Akka.Event;

namespace AkkaChat.Node.Presence.Internal;

/// <summary>
/// One per node (<see cref="ChatLog"/>): records in <see cref="IAcquaintances"/> that two users
/// have a chat, off the message path. A pair is written once per node: the recorder remembers the
/// pairs it wrote (up to <see cref="PresenceSettings.RecordedChatsCache"/>, then forgets them all),
/// so a message of a known pair costs one set lookup. New pairs are written as soon as no write is
/// in flight, those that arrive meanwhile in one batch after it: one statement for many pairs under
/// load, no wait when idle.
/// <para>Bounded: at most <see cref="MaxPending"/> pairs wait; past that a new pair is not kept (and
/// not remembered, so a later message of it records it). A failed write forgets its pairs the same
/// way. A missing record only hides presence; no message depends on it.</para>
/// </summary>
internal sealed class ChatRecorder : ReceiveActor
{
    private const int MaxPending = 10_000;

    private readonly IAcquaintances _store;
    private readonly int _capacity;
    private readonly HashSet<(string Low, string High)> _recorded = new();
    private List<(string A, string B)> _pending = new();
    private bool _writing;

    public ChatRecorder(IAcquaintances store, PresenceSettings settings)
    {
        _store = store;
        _capacity = settings.RecordedChatsCache;
        Receive<ChatSeen>(Note);
        Receive<Written>(OnWritten);
    }

    public static Props Props(IAcquaintances store, PresenceSettings settings) =>
        Akka.Actor.Props.Create(() => new ChatRecorder(store, settings));

    private void Note(ChatSeen seen)
    {
        var pair = string.CompareOrdinal(seen.A, seen.B) < 0 ? (seen.A, seen.B) : (seen.B, seen.A);
        if (pair.Item1 == pair.Item2 || _recorded.Contains(pair) || _pending.Count >= MaxPending)
        {
            return;
        }

        if (_recorded.Count >= _capacity)
        {
            _recorded.Clear();
        }

        _recorded.Add(pair);
        _pending.Add(pair);
        if (!_writing)
        {
            Write();
        }
    }

    private void Write()
    {
        var batch = _pending;
        _pending = new List<(string A, string B)>();
        _writing = true;
        _store.RecordChatsAsync(batch).ContinueWith(
            t => new Written(batch, t.Exception?.GetBaseException()),
            TaskContinuationOptions.ExecuteSynchronously).PipeTo(Self);
    }

    private void OnWritten(Written written)
    {
        _writing = false;
        if (written.Failure is not null)
        {
            Context.GetLogger().Warning(written.Failure, "{0} chats were not recorded; they are recorded on their next message", written.Batch.Count);
            foreach (var (a, b) in written.Batch)
            {
                _recorded.Remove((a, b));
            }
        }

        if (_pending.Count > 0)
        {
            Write();
        }
    }

    private sealed record Written(List<(string A, string B)> Batch, Exception? Failure);
}
