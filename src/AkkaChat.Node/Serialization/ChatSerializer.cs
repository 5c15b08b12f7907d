using Akka.Actor;
using Akka.Serialization;
using AkkaChat.Node.Contracts;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Node.Serialization;

/// <summary>
/// Serializes every message that crosses nodes or enters the journal: the protobuf contracts of
/// Proto/internal.proto and the wire payloads a user actor sends to a connection. Each type has a
/// short, permanent manifest; a manifest is never reused for another type.
/// </summary>
public sealed class ChatSerializer : SerializerWithStringManifest
{
    /// <summary>Fixed forever: it is written into the journal next to every event.</summary>
    public const int Id = 4700;

    private static readonly Dictionary<Type, string> Manifests = new();
    private static readonly Dictionary<string, MessageParser> Parsers = new(StringComparer.Ordinal);

    static ChatSerializer()
    {
        // commands and replies between actors
        Register("rc", RequestCode.Parser);
        Register("vc", VerifyCode.Parser);
        Register("li", Login.Parser);
        Register("sm", SubmitMessage.Parser);
        Register("ai", AcknowledgeItems.Parser);
        Register("mr", MarkRead.Parser);
        Register("sr", StoreReceipt.Parser);
        Register("rs", ReceiptStored.Parser);
        Register("sx", SessionReplaced.Parser);
        Register("ss", ResumeSession.Parser);
        Register("sd", SessionResumed.Parser);
        Register("si", SessionInterrupted.Parser);
        Register("sp", SessionPassivated.Parser);
        Register("sw", WakeSession.Parser);
        Register("cd", ConfirmDirectoryEntry.Parser);
        Register("bd", BackfillDirectoryEntry.Parser);
        Register("iw", ItemsWritten.Parser);
        // presence module (never journaled)
        Register("p-so", AkkaChat.Node.Presence.SessionOpened.Parser);
        Register("p-wp", AkkaChat.Node.Presence.WatchPresence.Parser);
        Register("p-rt", AkkaChat.Node.Presence.RelayTyping.Parser);
        // status module
        Register("t-qs", AkkaChat.Node.Statuses.QueueStatus.Parser);
        Register("t-sq", AkkaChat.Node.Statuses.StatusQueued.Parser);
        // wire payloads a module actor sends to a (possibly remote) connection: every
        // server-to-client type of the codec table, manifest "w" + its type code in hex (w91 = DELIVER)
        foreach (var (type, payload, parser) in AkkaChat.Protocol.FrameCodec.Entries.Where(e => !e.Type.IsClientToServer()))
        {
            Register(payload, $"w{(byte)type:x2}", parser);
        }

        // journal events and snapshots
        Register("e-ur", UserRegistered.Parser);
        Register("e-dt", DeviceTokenIssued.Parser);
        Register("e-li", SessionLoggedIn.Parser);
        Register("e-mq", MessageQueued.Parser);
        Register("e-rq", ReceiptQueued.Parser);
        Register("e-ia", ItemsAcknowledged.Parser);
        Register("e-rd", MessagesRead.Parser);
        Register("e-rc", ReceiptsConfirmed.Parser);
        Register("e-ie", ItemsExpired.Parser);
        Register("e-sq", StatusUpdateQueued.Parser);
        Register("e-sx", StatusUpdatesExpired.Parser);
        Register("s-u", UserSnapshot.Parser);
        Groups.GroupContracts.RegisterManifests(Register);

        // the key store (Keys/Proto/keys.proto): commands, journal events and snapshots
        Register("k-sk", Node.Keys.Contracts.StoreKeys.Parser);
        Register("k-fb", Node.Keys.Contracts.FetchBundle.Parser);
        Register("k-ol", Node.Keys.Contracts.OwnerLoggedIn.Parser);
        Register("kks", Node.Keys.Contracts.KeysStored.Parser);
        Register("kpc", Node.Keys.Contracts.PreKeyConsumed.Parser);
        Register("k-s", Node.Keys.Contracts.KeyStoreSnapshot.Parser);
    }

    public ChatSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    public override int Identifier => Id;

    public static IReadOnlyDictionary<Type, string> KnownManifests => Manifests;

    private static void Register<T>(string manifest, MessageParser<T> parser)
        where T : IMessage<T> => Register(typeof(T), manifest, parser);

    internal static void Register(Type type, string manifest, MessageParser parser)
    {
        Manifests.Add(type, manifest);
        Parsers.Add(manifest, parser);
    }

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType()} has no manifest in {nameof(ChatSerializer)}", nameof(o));

    public override byte[] ToBinary(object obj) =>
        obj is IMessage message ? message.ToByteArray() : throw new ArgumentException($"{obj.GetType()} is not a protobuf message", nameof(obj));

    public override object FromBinary(byte[] bytes, string manifest) =>
        Parsers.TryGetValue(manifest, out var parser)
            ? parser.ParseFrom(bytes)
            : throw new System.Runtime.Serialization.SerializationException($"unknown manifest '{manifest}' for {nameof(ChatSerializer)}");
}
