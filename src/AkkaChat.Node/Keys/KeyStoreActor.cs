using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Persistence;
using AkkaChat.Node.Keys.Contracts;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using ProtocolError = AkkaChat.Protocol.Messages.Error;

namespace AkkaChat.Node.Keys;

/// <summary>
/// The key store of one user (entity id = phone, shard type <see cref="KeyShard.TypeName"/>),
/// persistent as "keys-&lt;phone&gt;". Cluster sharding runs exactly one per user in the cluster,
/// and it handles one command at a time, journaling each change before it answers
/// (<c>Persist</c> holds later commands), so a one-time prekey is handed out at most once however
/// many nodes fetch at the same time, and a handed-out prekey stays consumed across a crash.
/// <para>KEYS_LOW goes to the owner's connection when a fetch leaves the stock below the
/// threshold (once until an upload refills it), and at every login while it is below.</para>
/// </summary>
public sealed class KeyStoreActor : UntypedPersistentActor
{
    private readonly string _phone;
    private readonly KeysSettings _settings;
    private readonly KeyStoreState _state = new();
    private IActorRef? _owner;
    private bool _lowNoticeSent;
    private int _eventsSinceSnapshot;

    public KeyStoreActor(string phone, KeysSettings settings)
    {
        _phone = phone;
        _settings = settings;
        Context.SetReceiveTimeout(settings.PassivateAfter);
    }

    public static Props Props(string phone, KeysSettings settings) => Akka.Actor.Props.Create(() => new KeyStoreActor(phone, settings));

    public override string PersistenceId => "keys-" + _phone;

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: KeyStoreSnapshot snapshot }:
                _state.Apply(snapshot);
                break;
            case KeysStored or PreKeyConsumed:
                _state.Apply(message);
                _eventsSinceSnapshot++;
                break;
        }
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case StoreKeys store:
                var stored = _state.DecideUpload(store.Upload, _settings.MaxOneTimePrekeys);
                Persist(stored, e =>
                {
                    _state.Apply(e);
                    if (_state.Remaining >= _settings.LowThreshold)
                    {
                        _lowNoticeSent = false;
                    }

                    AfterEvent();
                });
                break;
            case FetchBundle:
                Fetch();
                break;
            case OwnerLoggedIn:
                if (_owner is not null)
                {
                    Context.Unwatch(_owner);
                }

                _owner = Sender;
                Context.Watch(_owner);
                if (_state.HasKeys && _state.Remaining < _settings.LowThreshold)
                {
                    _owner.Tell(new KeysLow { Remaining = (uint)_state.Remaining });
                    _lowNoticeSent = true;
                }

                break;
            case Terminated t when t.ActorRef.Equals(_owner):
                _owner = null;
                break;
            case ReceiveTimeout:
                Context.Parent.Tell(new Passivate(PoisonPill.Instance));
                break;
            case SaveSnapshotSuccess success:
                DeleteMessages(success.Metadata.SequenceNr);
                DeleteSnapshots(new SnapshotSelectionCriteria(success.Metadata.SequenceNr - 1));
                break;
            case SaveSnapshotFailure or DeleteMessagesSuccess or DeleteMessagesFailure or DeleteSnapshotsSuccess or DeleteSnapshotsFailure:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Fetch()
    {
        if (!_state.HasKeys)
        {
            Sender.Tell(ProtocolError.Of(ErrorCode.NotFound, $"{_phone} has published no keys", _phone));
            return;
        }

        var (bundle, consumed) = _state.DecideFetch(_phone);
        if (consumed is null)
        {
            Sender.Tell(bundle);
            NoticeIfLow();
            return;
        }

        var requester = Sender;
        Persist(consumed, e =>
        {
            _state.Apply(e);
            requester.Tell(bundle);
            NoticeIfLow();
            AfterEvent();
        });
    }

    private void NoticeIfLow()
    {
        if (_state.Remaining < _settings.LowThreshold && !_lowNoticeSent && _owner is not null)
        {
            _owner.Tell(new KeysLow { Remaining = (uint)_state.Remaining });
            _lowNoticeSent = true;
        }
    }

    /// <summary>Snapshots every <c>snapshot-after</c> events and then cuts the journal behind it.</summary>
    private void AfterEvent()
    {
        if (++_eventsSinceSnapshot >= _settings.SnapshotAfter)
        {
            _eventsSinceSnapshot = 0;
            SaveSnapshot(_state.ToSnapshot());
        }
    }
}
