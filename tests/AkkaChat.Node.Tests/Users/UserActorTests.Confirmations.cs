using Akka.Actor;
using Akka.TestKit;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Contracts;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Node.Tests.Users;

/// <summary>
/// Receipt confirmations ride in the next event the reader journals anyway: what that saves in
/// journal rows, and that a confirmation not yet journaled when the actor dies only costs a resend
/// the sender's queue drops.
/// </summary>
public sealed partial class UserActorTests
{
    [Fact]
    public void A_one_to_one_message_costs_four_journal_rows_when_the_readers_confirmation_rides_in_its_next_event()
    {
        const int messages = 6;
        // No confirmation is journaled on its own here, and no snapshot deletes the rows counted.
        var settings = _settings with { ReceiptConfirmationDelay = TimeSpan.FromMinutes(1), SnapshotAfter = 10_000 };
        var (reader, readerSession, sender, senderSession) = StartPair(settings);
        var before = JournalRows("user-" + Me) + JournalRows("user-" + Alice);

        for (var i = 1; i <= messages; i++)
        {
            SendAndConfirm(reader, readerSession, sender, senderSession, $"c-{i}");
        }

        // Per message: the DELIVER in the reader's queue, the reader's ACK, the DELIVERED receipt in
        // the sender's queue, the sender's ACK. The confirmations ride in the reader's next events.
        AwaitCondition(() => JournalRows("user-" + Me) + JournalRows("user-" + Alice) - before >= 4 * messages, JournalTimeout);
        Assert.Equal(4 * messages, JournalRows("user-" + Me) + JournalRows("user-" + Alice) - before);
        Assert.Equal(0, CountEvents("user-" + Me, "e-rc"));
    }

    [Fact]
    public void After_a_crash_only_the_receipt_whose_confirmation_was_not_journaled_is_resent_and_the_sender_sees_it_once()
    {
        var settings = _settings with { ReceiptConfirmationDelay = TimeSpan.FromMinutes(1) };
        var (reader, readerSession, sender, senderSession) = StartPair(settings);
        SendAndConfirm(reader, readerSession, sender, senderSession, "c-1"); // confirmed; rides in c-2's events
        var last = SendAndConfirm(reader, readerSession, sender, senderSession, "c-2"); // confirmed in memory only

        // Nothing journaled after c-2's ACK, so stopping now loses what kill -9 would lose.
        AwaitCondition(() => CountEvents("user-" + Me, "e-ia") == 2, JournalTimeout);
        StopUser(reader);
        StartUser(Me, settings);

        var resent = _users.ExpectMsg<StoreReceipt>(JournalTimeout);
        Assert.Equal(last, resent);
        Assert.False(_users.HasMessages, "a receipt whose confirmation was journaled was sent again");

        // The sender's queue remembers the receipt: it confirms it again and pushes nothing.
        sender.Tell(resent, _users.Ref);
        Assert.Equal(new ReceiptStored { Phone = Me, OutboxId = resent.OutboxId }, _users.ExpectMsg<ReceiptStored>(JournalTimeout));
        senderSession.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void A_confirmation_with_no_event_to_ride_in_is_journaled_on_its_own_after_the_delay()
    {
        var settings = _settings with { ReceiptConfirmationDelay = TimeSpan.FromMilliseconds(200) };
        var (reader, readerSession, sender, senderSession) = StartPair(settings);
        SendAndConfirm(reader, readerSession, sender, senderSession, "c-1");

        AwaitCondition(() => CountEvents("user-" + Me, "e-rc") == 1, JournalTimeout);
        StopUser(reader);
        LoginAndExpectOk(StartUser(Me, settings), _readerToken!); // recovery is over once AUTH_OK comes
        Assert.False(_users.HasMessages, "a receipt confirmed on its own was sent again");
    }

    private ByteString? _readerToken;

    /// <summary>Starts and registers the reader (Me) and the sender (Alice), each with a session probe.</summary>
    private (IActorRef Reader, TestProbe ReaderSession, IActorRef Sender, TestProbe SenderSession) StartPair(AkkaChatSettings settings)
    {
        var reader = StartUser(Me, settings);
        var readerSession = CreateTestProbe();
        _readerToken = Register(reader, Me, readerSession);
        var sender = StartUser(Alice, settings);
        var senderSession = CreateTestProbe();
        Register(sender, Alice, senderSession);
        return (reader, readerSession, sender, senderSession);
    }

    /// <summary>
    /// One message from Alice to Me, the whole way: SEND_ACK, DELIVER, Me's ACK, the DELIVERED receipt
    /// stored in Alice's queue and pushed, Alice's ACK, and the confirmation back to Me. Returns the receipt sent.
    /// </summary>
    private StoreReceipt SendAndConfirm(IActorRef reader, TestProbe readerSession, IActorRef sender, TestProbe senderSession, string clientMsgId)
    {
        var connection = CreateTestProbe();
        reader.Tell(Submit(from: Alice, clientMsgId: clientMsgId, body: "m"), connection.Ref);
        connection.ExpectMsg<SendAck>(JournalTimeout);
        var deliver = readerSession.ExpectMsg<Deliver>(JournalTimeout);
        reader.Tell(new AcknowledgeItems { Phone = Me, UpToSeq = deliver.Seq }, readerSession.Ref);

        var store = _users.ExpectMsg<StoreReceipt>(JournalTimeout);
        sender.Tell(store, _users.Ref);
        var stored = _users.ExpectMsg<ReceiptStored>(JournalTimeout);
        var receipt = senderSession.ExpectMsg<Receipt>(JournalTimeout);
        Assert.Equal(deliver.ServerMsgId, receipt.ServerMsgId);
        sender.Tell(new AcknowledgeItems { Phone = Alice, UpToSeq = receipt.Seq }, senderSession.Ref);
        reader.Tell(stored, _users.Ref);
        return store;
    }

    /// <summary>Every row the user's actor ever wrote: rows behind a snapshot are kept, marked deleted.</summary>
    private int JournalRows(string persistenceId) =>
        Convert.ToInt32(Query("SELECT COUNT(*) FROM journal WHERE persistence_id = $id", ("$id", persistenceId)));
}
