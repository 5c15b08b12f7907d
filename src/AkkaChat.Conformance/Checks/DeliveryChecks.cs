using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using static AkkaChat.Conformance.CheckContext;

namespace AkkaChat.Conformance.Checks;

/// <summary>PROTOCOL.md "Delivery", "Receipts" and the observable part of "Retention".</summary>
public static class DeliveryChecks
{
    public static IEnumerable<Check> All()
    {
        yield return new Check("delivery", "seq_starts_at_1_and_increases_by_one", "Each user has one queue of items, numbered by seq, starting at 1 and increasing by one", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            for (var i = 0; i < 3; i++)
            {
                await c.SendTextAsync(alice, bob.Phone, $"#{i}");
            }

            for (ulong want = 1; want <= 3; want++)
            {
                var d = await bob.Connection.ExpectAsync<Deliver>(c.Answer, $"DELIVER seq {want}");
                Require(d.Seq == want, $"a new user's item {want} has seq {d.Seq}");
            }

            return null;
        });

        yield return new Check("delivery", "offline_message_is_stored_and_delivered_at_login", "on login, stored items come first", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            await c.CloseAsync(bob.Connection);
            var ack = await c.SendTextAsync(alice, bob.Phone, "while you were out");
            var again = await c.LoginAsync(bob.Phone, bob.Token);
            var d = await again.Connection.ExpectAsync<Deliver>(c.Answer, "the stored DELIVER after login");
            Require(d.ServerMsgId == ack.ServerMsgId && d.Body.ToStringUtf8() == "while you were out", "the stored message is not the one sent");
            return null;
        });

        yield return new Check("delivery", "unacknowledged_items_are_sent_again_after_login", "Unacknowledged items are sent again after the next login (at-least-once)", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            var first = new List<Deliver>();
            for (var i = 0; i < 2; i++)
            {
                await c.SendTextAsync(alice, bob.Phone, $"#{i}");
                first.Add(await bob.Connection.ExpectAsync<Deliver>(c.Answer, $"DELIVER {i + 1}"));
            }

            await c.CloseAsync(bob.Connection);
            var again = await c.LoginAsync(bob.Phone, bob.Token);
            Require(again.Ok.Pending == 2, $"pending = {again.Ok.Pending} with 2 items unacknowledged");
            foreach (var was in first)
            {
                var d = await again.Connection.ExpectAsync<Deliver>(c.Answer, $"DELIVER seq {was.Seq} again");
                Require(d.Seq == was.Seq && d.ServerMsgId == was.ServerMsgId, $"resent item is seq {d.Seq} / {d.ServerMsgId}, was seq {was.Seq} / {was.ServerMsgId}");
            }

            return null;
        });

        yield return new Check("delivery", "ack_acknowledges_every_item_up_to_seq", "ACK{up_to_seq} acknowledges every item up to that seq; the server then deletes them", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            var seqs = new List<Deliver>();
            for (var i = 0; i < 3; i++)
            {
                await c.SendTextAsync(alice, bob.Phone, $"#{i}");
                seqs.Add(await bob.Connection.ExpectAsync<Deliver>(c.Answer, $"DELIVER {i + 1}"));
            }

            await bob.Connection.SendAsync(new Ack { UpToSeq = seqs[1].Seq });
            await bob.Connection.ExpectAliveAsync(c.Answer, "ACK"); // the ACK is read before the close
            await c.CloseAsync(bob.Connection);
            var again = await c.LoginAsync(bob.Phone, bob.Token);
            Require(again.Ok.Pending == 1, $"pending = {again.Ok.Pending} after acknowledging 2 of 3 items");
            var d = await again.Connection.ExpectAsync<Deliver>(c.Answer, "the one unacknowledged DELIVER");
            Require(d.Seq == seqs[2].Seq, $"resent seq {d.Seq}, expected only {seqs[2].Seq}");
            return null;
        });

        yield return new Check("receipts", "ack_gives_the_sender_a_delivered_receipt", "When the recipient acknowledges a DELIVER, the original sender gets a RECEIPT{status=DELIVERED}", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            var id = NewId("r");
            var ack = await c.SendTextAsync(alice, bob.Phone, "receipt me", id);
            var d = await bob.Connection.ExpectAsync<Deliver>(c.Answer, "DELIVER");
            await bob.Connection.SendAsync(new Ack { UpToSeq = d.Seq });
            var r = await alice.Connection.ExpectAsync<Receipt>(c.Answer, "RECEIPT{DELIVERED}");
            CheckReceipt(r, ReceiptStatus.Delivered, ack, id, bob.Phone);
            return null;
        });

        yield return new Check("receipts", "read_gives_the_sender_a_read_receipt", "when the recipient sends READ, a RECEIPT{status=READ}", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            var id = NewId("r");
            var ack = await c.SendTextAsync(alice, bob.Phone, "read me", id);
            var d = await bob.Connection.ExpectAsync<Deliver>(c.Answer, "DELIVER");
            await bob.Connection.SendAsync(new Ack { UpToSeq = d.Seq });
            await bob.Connection.SendAsync(new Read { From = alice.Phone, ServerMsgIds = { d.ServerMsgId } });
            var r = await alice.Connection.ExpectAsync<Receipt>(c.Answer, "RECEIPT{READ}", x => x.Status == (uint)ReceiptStatus.Read);
            CheckReceipt(r, ReceiptStatus.Read, ack, id, bob.Phone);
            return null;
        });

        yield return new Check("receipts", "offline_sender_gets_its_receipt_at_login", "Receipts are queued items, so an offline sender gets them later", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            var id = NewId("r");
            var ack = await c.SendTextAsync(alice, bob.Phone, "receipt later", id);
            await c.CloseAsync(alice.Connection);
            var d = await bob.Connection.ExpectAsync<Deliver>(c.Answer, "DELIVER");
            await bob.Connection.SendAsync(new Ack { UpToSeq = d.Seq });
            await bob.Connection.ExpectAliveAsync(c.Answer, "ACK");
            // The receipt is queued asynchronously; log in until it is there or the deadline passes.
            var until = DateTime.UtcNow + c.Answer;
            while (true)
            {
                var again = await c.LoginAsync(alice.Phone, alice.Token);
                if (again.Ok.Pending > 0)
                {
                    var r = await again.Connection.ExpectAsync<Receipt>(c.Answer, "the stored RECEIPT");
                    CheckReceipt(r, ReceiptStatus.Delivered, ack, id, bob.Phone);
                    return null;
                }

                await c.CloseAsync(again.Connection);
                Require(DateTime.UtcNow < until, $"no RECEIPT queued for the offline sender within {c.Answer.TotalSeconds:0} s");
                await Task.Delay(200);
            }
        });

        yield return new Check("receipts", "receipt_is_a_queued_item_of_the_sender", "Every frame the server sends that carries a seq field is a queued item", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            await c.SendTextAsync(alice, bob.Phone, "x");
            var d = await bob.Connection.ExpectAsync<Deliver>(c.Answer, "DELIVER");
            await bob.Connection.SendAsync(new Ack { UpToSeq = d.Seq });
            var r = await alice.Connection.ExpectAsync<Receipt>(c.Answer, "RECEIPT");
            Require(r.Seq == 1, $"the first item of a new sender's queue has seq {r.Seq}");
            // Not acknowledged: it comes again after the next login.
            await c.CloseAsync(alice.Connection);
            var again = await c.LoginAsync(alice.Phone, alice.Token);
            var resent = await again.Connection.ExpectAsync<Receipt>(c.Answer, "the unacknowledged RECEIPT again");
            Require(resent.Seq == r.Seq && resent.ServerMsgId == r.ServerMsgId, "the resent RECEIPT differs from the first");
            return null;
        });

        yield return new Check("retention", "acknowledged_items_are_not_kept", "Nothing is kept after acknowledgement: the server is a relay, not an archive", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            await c.SendTextAsync(alice, bob.Phone, "gone after ack");
            var d = await bob.Connection.ExpectAsync<Deliver>(c.Answer, "DELIVER");
            await bob.Connection.SendAsync(new Ack { UpToSeq = d.Seq });
            await bob.Connection.ExpectAliveAsync(c.Answer, "ACK");
            await c.CloseAsync(bob.Connection);
            var again = await c.LoginAsync(bob.Phone, bob.Token);
            Require(again.Ok.Pending == 0, $"pending = {again.Ok.Pending} after everything was acknowledged");
            var more = await again.Connection.DrainAsync(c.Quiet);
            Require(!more.Any(f => f.Message is Deliver), "an acknowledged DELIVER came again");
            return null;
        });

        yield return new Check("retention", "unacknowledged_item_is_dropped_after_max_age", "An item that is never acknowledged is dropped after akkachat.retention.max-age", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            await c.CloseAsync(bob.Connection);
            await c.SendTextAsync(alice, bob.Phone, "expires");
            await Task.Delay(c.Options.RetentionMaxAge!.Value); // the rule is about elapsed time itself
            var until = DateTime.UtcNow + c.Answer;
            while (true)
            {
                var again = await c.LoginAsync(bob.Phone, bob.Token);
                var more = await again.Connection.DrainAsync(c.Quiet);
                await c.CloseAsync(again.Connection);
                if (again.Ok.Pending == 0 && !more.Any(f => f.Message is Deliver))
                {
                    return null;
                }

                Require(DateTime.UtcNow < until, $"the item is still queued {c.Answer.TotalSeconds:0} s after max-age");
            }
        })
        {
            Requires = o => o.RetentionMaxAge is null ? "pass --retention-max-age DURATION (the node's akkachat.retention.max-age, if short) to observe it" : null,
            Timeout = o => (o.RetentionMaxAge ?? TimeSpan.Zero) + o.AnswerTimeout * 4,
        };
    }

    private static void CheckReceipt(Receipt r, ReceiptStatus status, SendAck ack, string clientMsgId, string by)
    {
        Require(r.Status == (uint)status, $"RECEIPT status {r.Status}, expected {(uint)status}");
        Require(r.ServerMsgId == ack.ServerMsgId, $"RECEIPT.server_msg_id {r.ServerMsgId}, the message is {ack.ServerMsgId}");
        Require(r.ClientMsgId == clientMsgId, $"RECEIPT.client_msg_id \"{r.ClientMsgId}\", sent as {clientMsgId}");
        Require(r.By == by, $"RECEIPT.by \"{r.By}\", expected {by}");
        Require(r.Seq >= 1 && r.AtMs > 0, $"RECEIPT seq {r.Seq}, at_ms {r.AtMs}");
    }
}
