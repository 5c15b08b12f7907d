using Akka.Configuration;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Serialization;
using AkkaChat.Node.Tests.Support;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;
using AkkaSerialization = Akka.Serialization.Serialization;

namespace AkkaChat.Node.Tests.Serialization;

/// <summary>
/// Every registered contract through the actor system's own serialization, as remoting and the
/// journal use it: binding by type, manifest, bytes, and back.
/// </summary>
public sealed class ChatSerializerTests : Akka.TestKit.Xunit2.TestKit
{
    public ChatSerializerTests()
        : base(ConfigurationFactory.ParseString("akka.actor.provider = local")
            .WithFallback(NodeConfig.AkkaConfig(TestSettings.Create())))
    {
    }

    /// <summary>One instance of every registered type, each with its fields set.</summary>
    public static IEnumerable<object[]> Samples() => SampleMessages().Select(m => new object[] { m.GetType().Name, m });

    [Theory]
    [MemberData(nameof(Samples))]
    public void A_registered_message_round_trips_through_akka_serialization(string typeName, IMessage message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<ChatSerializer>(serializer);
        Assert.Equal(ChatSerializer.Id, serializer.Identifier);

        var manifest = AkkaSerialization.ManifestFor(serializer, message);
        var bytes = serializer.ToBinary(message);
        var back = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);

        Assert.Equal(ChatSerializer.KnownManifests[message.GetType()], manifest);
        Assert.IsType(message.GetType(), back);
        Assert.Equal(message, back);
        Assert.True(message.CalculateSize() > 0, $"the {typeName} sample has no field set");
    }

    [Fact]
    public void Every_registered_type_has_a_sample()
    {
        Assert.Equal(
            ChatSerializer.KnownManifests.Keys.Select(t => t.Name).Order(),
            SampleMessages().Select(m => m.GetType().Name).Order());
    }

    [Fact]
    public void Manifests_are_unique_and_short()
    {
        var manifests = ChatSerializer.KnownManifests.Values.ToList();

        Assert.Equal(manifests.Count, manifests.Distinct(StringComparer.Ordinal).Count());
        Assert.All(manifests, m => Assert.InRange(m.Length, 1, 4));
    }

    [Fact]
    public void An_unknown_manifest_is_refused()
    {
        var serializer = Sys.Serialization.FindSerializerForType(typeof(SubmitMessage));

        Assert.Throws<System.Runtime.Serialization.SerializationException>(
            () => Sys.Serialization.Deserialize([], serializer.Identifier, "no-such"));
    }

    [Fact]
    public void A_protobuf_message_without_a_manifest_is_refused_rather_than_guessed()
    {
        var ping = new Ping { Nonce = 7 };
        var serializer = Sys.Serialization.FindSerializerFor(ping);

        Assert.IsType<ChatSerializer>(serializer);
        Assert.Throws<ArgumentException>(() => AkkaSerialization.ManifestFor(serializer, ping));
    }

    private static IEnumerable<IMessage> SampleMessages()
    {
        const string me = "+14155550100";
        const string alice = "+447700900123";
        var body = ByteString.CopyFromUtf8("hello");
        var item = new QueuedItem
        {
            Seq = 3,
            EnqueuedAtMs = 1_700_000_000_000,
            ClientMsgId = "c-1",
            Deliver = new Deliver { Seq = 3, ServerMsgId = "srv-1", From = alice, Kind = 1, Body = body, SentAtMs = 1_700_000_000_000 },
        };
        var receiptItem = new QueuedItem
        {
            Seq = 4,
            EnqueuedAtMs = 1_700_000_000_001,
            Receipt = new Receipt { Seq = 4, ServerMsgId = "srv-0", ClientMsgId = "c-0", Status = 2, By = alice, AtMs = 5 },
        };

        // commands and replies
        yield return new RequestCode { Phone = me };
        yield return new VerifyCode { Phone = me, Code = "123456", DeviceName = "phone" };
        yield return new Login { Phone = me, Token = ByteString.CopyFrom(new byte[32]) };
        yield return new SubmitMessage { Phone = me, From = alice, ClientMsgId = "c-1", Kind = 1, Body = body, MediaId = "m-1" };
        yield return new AcknowledgeItems { Phone = me, UpToSeq = 9 };
        yield return new ItemsWritten { Phone = me, UpToSeq = 42 };
        yield return new MarkRead { Phone = me, From = alice, ServerMsgIds = { "srv-1", "srv-2" } };
        yield return new StoreReceipt { Phone = alice, OutboxId = 2, ServerMsgId = "srv-1", ClientMsgId = "c-1", Status = 2, By = me, AtMs = 5 };
        yield return new ReceiptStored { Phone = me, OutboxId = 2 };
        yield return new SessionReplaced { Phone = me };
        yield return new ResumeSession { Phone = me };
        yield return new SessionResumed { Phone = me };
        yield return new SessionInterrupted { Phone = me };
        yield return new SessionPassivated { Phone = me };
        yield return new WakeSession { Phone = me };
        yield return new ConfirmDirectoryEntry { Phone = me };
        yield return new BackfillDirectoryEntry { Phone = me };
        var signed = new SignedPreKey { Id = 1, PublicKey = ByteString.CopyFrom(new byte[32]), Signature = ByteString.CopyFrom(new byte[64]) };
        yield return new AkkaChat.Node.Keys.Contracts.StoreKeys { Phone = me, Upload = new KeysUpload { IdentityKey = ByteString.CopyFrom(new byte[64]), SignedPrekey = signed } };
        yield return new AkkaChat.Node.Keys.Contracts.FetchBundle { Phone = me };
        yield return new AkkaChat.Node.Keys.Contracts.OwnerLoggedIn { Phone = me };
        yield return new AkkaChat.Node.Keys.Contracts.KeysStored { IdentityKey = ByteString.CopyFrom(new byte[64]), SignedPrekey = signed, Added = { new PreKey { Id = 7, PublicKey = ByteString.CopyFrom(new byte[32]) } } };
        yield return new AkkaChat.Node.Keys.Contracts.PreKeyConsumed { Id = 7 };
        yield return new AkkaChat.Node.Keys.Contracts.KeyStoreSnapshot { IdentityKey = ByteString.CopyFrom(new byte[64]), SignedPrekey = signed };
        // presence module
        yield return new AkkaChat.Node.Presence.SessionOpened { Phone = me };
        yield return new AkkaChat.Node.Presence.WatchPresence { Phone = me };
        yield return new AkkaChat.Node.Presence.RelayTyping { Phone = me, From = alice, State = 2, GroupId = "g1" };
        // status module
        yield return new AkkaChat.Node.Statuses.QueueStatus { Phone = me, Update = new StatusUpdate { From = alice, StatusId = "s-1", Kind = 1, PostedAtMs = 5, ExpiresAtMs = 6 } };
        yield return new AkkaChat.Node.Statuses.StatusQueued { Phone = me, StatusId = "s-1" };
        // wire payloads to a connection
        yield return new AuthCodeSent { ExpiresInS = 600, DevCode = "123456" };
        yield return new AuthOk { Token = ByteString.CopyFrom(new byte[32]), ServerTimeMs = 1, Node = "n1", Pending = 2 };
        yield return Error.Of(ErrorCode.NotFound, "not registered", "c-1");
        yield return new SendAck { ClientMsgId = "c-1", ServerMsgId = "srv-1", ServerTimeMs = 1 };
        yield return item.Deliver;
        yield return receiptItem.Receipt;
        yield return new Pong { Nonce = 42, ServerTimeMs = 1 };
        yield return new TypingNotify { From = alice, State = 1 };
        yield return new AkkaChat.Protocol.Messages.Presence { Phone = alice, Online = true, LastSeenMs = 4 };
        yield return new ContactsResult { Registered = { alice } };
        yield return new GroupInfo { Seq = 3, GroupId = "family", Subject = "Family", Members = { new GroupMember { Phone = alice, Admin = true } }, Version = 4 };
        yield return new StatusUpdate { Seq = 5, From = alice, StatusId = "s-1", Body = body, PostedAtMs = 5 };
        yield return new KeyBundle { Phone = alice, IdentityKey = ByteString.CopyFrom(5, 2), Remaining = 8 };
        yield return new KeysLow { Remaining = 3 };
        // the groups module's contracts
        foreach (var message in Groups.GroupContractSamples.All(me, alice, body))
        {
            yield return message;
        }

        // journal events and snapshot
        yield return new UserRegistered { AtMs = 1 };
        yield return new DeviceTokenIssued { TokenHash = ByteString.CopyFrom(new byte[32]), DeviceName = "phone", AtMs = 1 };
        yield return new SessionLoggedIn { Session = "akka.tcp://AkkaChat@127.0.0.1:4000/user/connections/c-1#42", AtMs = 1 };
        yield return new MessageQueued { Item = item };
        yield return new ReceiptQueued { Item = receiptItem };
        yield return new ItemsAcknowledged { UpToSeq = 3, AtMs = 2 };
        yield return new MessagesRead { From = alice, ServerMsgIds = { "srv-1" }, AtMs = 3 };
        yield return new ReceiptsConfirmed { OutboxIds = { 1, 2 } };
        yield return new ItemsExpired { UpToSeq = 2, Count = 2 };
        yield return new StatusUpdateQueued { Item = new QueuedItem { Seq = 6, EnqueuedAtMs = 5, StatusUpdate = new StatusUpdate { Seq = 6, From = alice, StatusId = "s-1", Kind = 1, PostedAtMs = 5, ExpiresAtMs = 86_400_005 } } };
        yield return new StatusUpdatesExpired { Seqs = { 6 } };
        yield return new UserSnapshot
        {
            Registered = true,
            Tokens = { new DeviceToken { TokenHash = ByteString.CopyFrom(new byte[32]), DeviceName = "phone", IssuedAtMs = 1 } },
            NextSeq = 5,
            Items = { item, receiptItem },
            Dedup = { new DedupEntry { Key = "m|" + alice + "|c-1", ServerMsgId = "srv-1", ServerTimeMs = 1 } },
            Outbox = { new OutboxEntry { Id = 1, To = alice, ServerMsgId = "srv-1", ClientMsgId = "c-1", Status = 2, AtMs = 3 } },
            NextOutboxId = 2,
            ExpiredTotal = 1,
        };
    }
}
