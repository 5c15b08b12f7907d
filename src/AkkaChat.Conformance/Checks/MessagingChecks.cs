using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;
using static AkkaChat.Conformance.CheckContext;

namespace AkkaChat.Conformance.Checks;

/// <summary>PROTOCOL.md "Sending": SEND_ACK, idempotency on (sender, client_msg_id), per-pair order.</summary>
public static class MessagingChecks
{
    public static IEnumerable<Check> All()
    {
        yield return new Check("sending", "send_ack_names_the_message", "The server answers SEND_ACK (client_msg_id, server_msg_id, server_time_ms)", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            var id = NewId("s");
            var ack = await c.SendTextAsync(alice, bob.Phone, "hello", id);
            Require(ack.ServerMsgId.Length > 0, "SEND_ACK.server_msg_id is empty");
            Require(ack.ServerTimeMs > 0, "SEND_ACK.server_time_ms is not set");
            return null;
        });

        yield return new Check("sending", "message_reaches_a_connected_recipient", "SEND to a user; while the user is connected, items are pushed", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            var ack = await c.SendTextAsync(alice, bob.Phone, "hello bob");
            var d = await bob.Connection.ExpectAsync<Deliver>(c.Answer, "DELIVER");
            Require(d.ServerMsgId == ack.ServerMsgId, $"DELIVER.server_msg_id {d.ServerMsgId}, SEND_ACK said {ack.ServerMsgId}");
            Require(d.From == alice.Phone, $"DELIVER.from = \"{d.From}\", expected {alice.Phone}");
            Require(d.Kind == (uint)MessageKind.Text && d.Body.ToStringUtf8() == "hello bob", "DELIVER kind or body differ from the SEND");
            Require(d.GroupId.Length == 0, $"a one-to-one DELIVER carries group_id \"{d.GroupId}\"");
            Require(d.Seq >= 1 && d.SentAtMs > 0, $"DELIVER seq {d.Seq}, sent_at_ms {d.SentAtMs}");
            return null;
        });

        yield return new Check("sending", "body_is_opaque_bytes", "The server never sees plaintext: body is opaque bytes", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            var body = new byte[1024];
            Random.Shared.NextBytes(body);
            body[0] = 0xFF; // never valid UTF-8
            var id = NewId("b");
            await alice.Connection.SendAsync(new Send { ClientMsgId = id, To = bob.Phone, Kind = (uint)MessageKind.Document, Body = ByteString.CopyFrom(body) });
            await alice.Connection.ExpectAsync<SendAck>(c.Answer, "SEND_ACK", a => a.ClientMsgId == id);
            var d = await bob.Connection.ExpectAsync<Deliver>(c.Answer, "DELIVER");
            Require(d.Body.Span.SequenceEqual(body), "the delivered body differs from the bytes sent");
            return null;
        });

        yield return new Check("sending", "every_kind_is_carried", "kind: 1 TEXT ... 7 CONTACT", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            for (uint kind = 1; kind <= 7; kind++)
            {
                var id = NewId($"k{kind}");
                await alice.Connection.SendAsync(new Send { ClientMsgId = id, To = bob.Phone, Kind = kind, Body = ByteString.CopyFromUtf8($"kind {kind}") });
                await alice.Connection.ExpectAsync<SendAck>(c.Answer, $"SEND_ACK for kind {kind}", a => a.ClientMsgId == id);
                var d = await bob.Connection.ExpectAsync<Deliver>(c.Answer, $"DELIVER of kind {kind}");
                Require(d.Kind == kind, $"sent kind {kind}, delivered kind {d.Kind}");
            }

            return null;
        });

        yield return new Check("sending", "message_to_oneself_is_delivered_or_refused_clearly", "SEND to a user (the spec does not exclude oneself)", async c =>
        {
            var alice = await c.RegisterAsync();
            var id = NewId("self");
            await alice.Connection.SendAsync(new Send { ClientMsgId = id, To = alice.Phone, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("note to self") });
            var answer = await alice.Connection.ExpectAsync<IMessage>(c.Answer, "SEND_ACK or ERROR", m => m is SendAck or Error);
            if (answer is Error e)
            {
                Require(e.Ref == id, $"ERROR for a SEND to oneself carries ref \"{e.Ref}\"");
                return $"saw ERROR code {e.Code}";
            }

            await alice.Connection.ExpectAsync<Deliver>(c.Answer, "the DELIVER of a message to oneself");
            return "saw SEND_ACK and DELIVER to oneself";
        });

        yield return new Check("idempotency", "resend_gets_the_same_send_ack_and_one_delivery", "The pair (sender, client_msg_id) is an idempotency key: resending it returns the same SEND_ACK and never delivers twice", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            var id = NewId("i");
            var first = await c.SendTextAsync(alice, bob.Phone, "once", id);
            var second = await c.SendTextAsync(alice, bob.Phone, "once", id);
            Require(first.ServerMsgId == second.ServerMsgId, $"first SEND_ACK {first.ServerMsgId}, the resend got {second.ServerMsgId}");
            await bob.Connection.ExpectAsync<Deliver>(c.Answer, "DELIVER");
            var more = await bob.Connection.DrainAsync(c.Quiet);
            Require(!more.Any(f => f.Message is Deliver), "the resent message was delivered twice");
            return null;
        });

        yield return new Check("idempotency", "resend_on_a_new_connection_gets_the_same_send_ack", "resending it returns the same SEND_ACK (across connections)", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            var id = NewId("i");
            var first = await c.SendTextAsync(alice, bob.Phone, "once", id);
            await c.CloseAsync(alice.Connection);
            var again = await c.LoginAsync(alice.Phone, alice.Token);
            var second = await c.SendTextAsync(again, bob.Phone, "once", id);
            Require(first.ServerMsgId == second.ServerMsgId, $"first SEND_ACK {first.ServerMsgId}, the resend got {second.ServerMsgId}");
            await bob.Connection.ExpectAsync<Deliver>(c.Answer, "DELIVER");
            var more = await bob.Connection.DrainAsync(c.Quiet);
            Require(!more.Any(f => f.Message is Deliver), "the resent message was delivered twice");
            return null;
        });

        yield return new Check("idempotency", "key_is_per_sender", "The pair (sender, client_msg_id) is an idempotency key", async c =>
        {
            var alice = await c.RegisterAsync();
            var carol = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            var id = NewId("shared");
            var a = await c.SendTextAsync(alice, bob.Phone, "from alice", id);
            var b = await c.SendTextAsync(carol, bob.Phone, "from carol", id);
            Require(a.ServerMsgId != b.ServerMsgId, "two senders using the same client_msg_id got the same server_msg_id");
            var d1 = await bob.Connection.ExpectAsync<Deliver>(c.Answer, "the first DELIVER");
            var d2 = await bob.Connection.ExpectAsync<Deliver>(c.Answer, "the second DELIVER");
            Require(new[] { d1.From, d2.From }.Order().SequenceEqual(new[] { alice.Phone, carol.Phone }.Order()), "both messages must arrive, one from each sender");
            return null;
        });

        yield return new Check("ordering", "messages_arrive_in_send_ack_order", "Messages from one sender to one recipient arrive in the order of their SEND_ACKs", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            const int count = 30;
            var frames = new List<byte>();
            for (var i = 0; i < count; i++)
            {
                frames.AddRange(FrameWriter.ToBytes(new Send { ClientMsgId = NewId($"o{i}"), To = bob.Phone, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8($"#{i}") }));
            }

            await alice.Connection.WriteAsync(frames.ToArray());
            var acks = new List<string>();
            for (var i = 0; i < count; i++)
            {
                acks.Add((await alice.Connection.ExpectAsync<SendAck>(c.Answer, $"SEND_ACK {i + 1} of {count}")).ServerMsgId);
            }

            var delivered = new List<string>();
            for (var i = 0; i < count; i++)
            {
                delivered.Add((await bob.Connection.ExpectAsync<Deliver>(c.Answer, $"DELIVER {i + 1} of {count}")).ServerMsgId);
            }

            Require(acks.SequenceEqual(delivered), "DELIVERs arrived in another order than the SEND_ACKs");
            return null;
        });

        yield return new Check("ordering", "stored_items_come_before_live_ones_without_gaps", "on login, stored items come first, then live ones, without gaps", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            await c.CloseAsync(bob.Connection);
            var acks = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                acks.Add((await c.SendTextAsync(alice, bob.Phone, $"stored {i}")).ServerMsgId);
            }

            var again = await c.LoginAsync(bob.Phone, bob.Token);
            for (var i = 0; i < 3; i++)
            {
                acks.Add((await c.SendTextAsync(alice, bob.Phone, $"live {i}")).ServerMsgId);
            }

            var seqs = new List<ulong>();
            var ids = new List<string>();
            for (var i = 0; i < acks.Count; i++)
            {
                var d = await again.Connection.ExpectAsync<Deliver>(c.Answer, $"DELIVER {i + 1} of {acks.Count}");
                seqs.Add(d.Seq);
                ids.Add(d.ServerMsgId);
            }

            Require(ids.SequenceEqual(acks), "stored and live messages arrived out of SEND_ACK order");
            Require(seqs.Zip(seqs.Skip(1)).All(p => p.Second == p.First + 1), $"seqs {string.Join(",", seqs)} have a gap");
            return null;
        });
    }
}
