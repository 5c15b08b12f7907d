using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;
using static AkkaChat.Conformance.CheckContext;

namespace AkkaChat.Conformance.Checks;

/// <summary>PROTOCOL.md "Presence and typing" and "Contacts and status".</summary>
public static class SocialChecks
{
    public static IEnumerable<Check> All()
    {
        yield return new Check("presence", "subscribe_answers_presence_at_once", "PRESENCE is sent at once on PRESENCE_SUBSCRIBE", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            await alice.Connection.SendAsync(new PresenceSubscribe { Phones = { bob.Phone } });
            var p = await alice.Connection.ExpectAsync<Presence>(c.Answer, $"PRESENCE of {bob.Phone}", x => x.Phone == bob.Phone);
            Require(p.Online, "PRESENCE says a connected user is offline");
            return null;
        });

        yield return new Check("presence", "change_is_pushed_with_last_seen", "PRESENCE is sent again on each change; last_seen_ms is set when the user's last session closes", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            await alice.Connection.SendAsync(new PresenceSubscribe { Phones = { bob.Phone } });
            await alice.Connection.ExpectAsync<Presence>(c.Answer, "the first PRESENCE", x => x.Phone == bob.Phone);
            await c.CloseAsync(bob.Connection);
            var p = await alice.Connection.ExpectAsync<Presence>(c.Answer, "PRESENCE{online=false}", x => x.Phone == bob.Phone && !x.Online);
            Require(p.LastSeenMs > 0, "last_seen_ms is not set after the last session closed");
            return null;
        });

        yield return new Check("typing", "typing_reaches_the_connected_peer", "TYPING reaches the peer as TYPING_NOTIFY", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            await alice.Connection.SendAsync(new Typing { To = bob.Phone, State = (uint)TypingState.Composing });
            await alice.Connection.ExpectAliveAsync(c.Answer, "TYPING"); // a refusal shows here, not as silence at the peer
            var t = await bob.Connection.ExpectAsync<TypingNotify>(c.Answer, "TYPING_NOTIFY");
            Require(t.From == alice.Phone && t.State == (uint)TypingState.Composing, $"TYPING_NOTIFY from {t.From} state {t.State}");
            return null;
        });

        yield return new Check("typing", "typing_is_not_queued", "Presence and typing are not queued: they reach only connected users", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            await c.CloseAsync(bob.Connection);
            await alice.Connection.SendAsync(new Typing { To = bob.Phone, State = (uint)TypingState.Recording });
            await alice.Connection.ExpectAliveAsync(c.Answer, "TYPING");
            var again = await c.LoginAsync(bob.Phone, bob.Token);
            Require(again.Ok.Pending == 0, $"pending = {again.Ok.Pending}: TYPING was queued");
            var frames = await again.Connection.DrainAsync(c.Quiet);
            Require(!frames.Any(f => f.Message is TypingNotify), "TYPING_NOTIFY reached a user who was offline when it was sent");
            return null;
        });

        yield return new Check("contacts", "sync_answers_the_registered_numbers", "CONTACTS_SYNC ... answers CONTACTS_RESULT with the numbers that are registered", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            var stranger = NewPhone();
            await alice.Connection.SendAsync(new ContactsSync { Phones = { bob.Phone, stranger } });
            var r = await alice.Connection.ExpectAsync<ContactsResult>(c.Answer, "CONTACTS_RESULT");
            Require(r.Registered.Contains(bob.Phone), $"{bob.Phone} is registered but not in CONTACTS_RESULT");
            Require(!r.Registered.Contains(stranger), $"{stranger} is not registered but is in CONTACTS_RESULT");
            return null;
        });

        yield return new Check("status", "post_is_answered_with_send_ack", "STATUS_POST is answered with SEND_ACK (client_msg_id = request_id, server_msg_id = status id)", async c =>
        {
            var alice = await c.RegisterAsync();
            var id = NewId("st");
            await alice.Connection.SendAsync(new StatusPost { RequestId = id, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("at the beach") });
            var ack = await alice.Connection.ExpectAsync<SendAck>(c.Answer, "SEND_ACK for STATUS_POST", a => a.ClientMsgId == id);
            Require(ack.ServerMsgId.Length > 0, "the status id (server_msg_id) is empty");
            return null;
        });

        yield return new Check("status", "post_reaches_registered_contacts_for_24_hours", "queued as STATUS_UPDATE to every registered contact in the poster's address book; it expires after 24 hours", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            await alice.Connection.SendAsync(new ContactsSync { Phones = { bob.Phone } });
            await alice.Connection.ExpectAsync<ContactsResult>(c.Answer, "CONTACTS_RESULT");
            var id = NewId("st");
            await alice.Connection.SendAsync(new StatusPost { RequestId = id, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("hello contacts") });
            var ack = await alice.Connection.ExpectAsync<SendAck>(c.Answer, "SEND_ACK for STATUS_POST", a => a.ClientMsgId == id);
            var u = await bob.Connection.ExpectAsync<StatusUpdate>(c.Answer, "STATUS_UPDATE");
            Require(u.From == alice.Phone && u.StatusId == ack.ServerMsgId, $"STATUS_UPDATE from {u.From} id {u.StatusId}");
            Require(u.Seq >= 1, "STATUS_UPDATE is a queued item but has seq 0");
            var life = TimeSpan.FromMilliseconds(u.ExpiresAtMs - u.PostedAtMs);
            Require(Math.Abs((life - TimeSpan.FromHours(24)).TotalMinutes) < 1, $"expires_at_ms - posted_at_ms = {life}, expected 24 hours");
            return null;
        });
    }
}
