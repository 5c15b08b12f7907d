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

            // First without any address book: this shows which reading the server follows. With the
            // privacy rule of docs/protocol.md a number the subscriber may not watch is answered once
            // PRESENCE{online=false, last_seen_ms=0}, exactly as an unknown user; without it, online.
            await alice.Connection.SendAsync(new PresenceSubscribe { Phones = { bob.Phone } });
            var stranger = await alice.Connection.ExpectAsync<Presence>(c.Answer, $"PRESENCE of {bob.Phone} (not a contact)", x => x.Phone == bob.Phone);
            Require(stranger.Online || stranger.LastSeenMs == 0, $"a connected user who is not a contact is offline with last_seen_ms {stranger.LastSeenMs}: the privacy rule answers as for an unknown user (last_seen_ms = 0)");
            var reading = stranger.Online
                ? "no privacy rule: a connected user who is not a contact is shown online"
                : "privacy rule: a user who is not a contact is shown offline with last_seen_ms = 0";

            // As each other's contacts the subscriber may watch under every reading.
            await c.SyncMutuallyAsync(alice, bob);
            await alice.Connection.SendAsync(new PresenceSubscribe { Phones = { bob.Phone } });
            var p = await alice.Connection.ExpectAsync<Presence>(c.Answer, $"PRESENCE of {bob.Phone} (a mutual contact)", x => x.Phone == bob.Phone);
            Require(p.Online, "PRESENCE says a connected mutual contact is offline");
            return $"{reading}; after CONTACTS_SYNC both ways: online";
        });

        yield return new Check("presence", "change_is_pushed_with_last_seen", "PRESENCE is sent again on each change; last_seen_ms is set when the user's last session closes", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            await c.SyncMutuallyAsync(alice, bob); // the privacy rule lets contacts watch each other
            await alice.Connection.SendAsync(new PresenceSubscribe { Phones = { bob.Phone } });
            var first = await alice.Connection.ExpectAsync<Presence>(c.Answer, "the first PRESENCE", x => x.Phone == bob.Phone);
            Require(first.Online, "PRESENCE says a connected mutual contact is offline");
            await c.CloseAsync(bob.Connection);
            var p = await alice.Connection.ExpectAsync<Presence>(c.Answer, "PRESENCE{online=false}", x => x.Phone == bob.Phone && !x.Online);
            Require(p.LastSeenMs > 0, "last_seen_ms is not set after the last session closed");
            return "contacts synced both ways first";
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

            // The first status goes out while only the poster has the contact in its book. A server
            // may queue it (the poster's book is enough) or not (mutual contacts only, docs/protocol.md).
            // The audience is fixed at posting, and a user's items come in queue order, so whether it
            // arrives before the second status shows the reading without waiting for silence.
            await alice.Connection.SendAsync(new ContactsSync { Phones = { bob.Phone } });
            var synced = await alice.Connection.ExpectAsync<ContactsResult>(c.Answer, "CONTACTS_RESULT");
            Require(synced.Registered.Contains(bob.Phone), $"{bob.Phone} is registered but not in CONTACTS_RESULT");
            var oneSided = await PostAsync(c, alice, "the poster's book only");

            // Bob's frames are watched from here on: the first status may reach him before his own
            // CONTACTS_RESULT.
            var sawOneSided = false;
            bool Watch(Frame f)
            {
                sawOneSided |= f.Message is StatusUpdate first && first.StatusId == oneSided.ServerMsgId;
                return false;
            }

            await bob.Connection.SendAsync(new ContactsSync { Phones = { alice.Phone } });
            var back = await bob.Connection.ExpectAsync<ContactsResult>(c.Answer, "CONTACTS_RESULT of the contact", skip: Watch);
            Require(back.Registered.Contains(alice.Phone), $"{alice.Phone} is registered but not in CONTACTS_RESULT");
            var mutual = await PostAsync(c, alice, "hello contacts");
            var u = await bob.Connection.ExpectAsync<StatusUpdate>(c.Answer, "STATUS_UPDATE of the status posted to a mutual contact", x => x.StatusId == mutual.ServerMsgId, skip: Watch);
            Require(u.From == alice.Phone, $"STATUS_UPDATE from {u.From}, posted by {alice.Phone}");
            Require(u.Seq >= 1, "STATUS_UPDATE is a queued item but has seq 0");
            var life = TimeSpan.FromMilliseconds(u.ExpiresAtMs - u.PostedAtMs);
            Require(Math.Abs((life - TimeSpan.FromHours(24)).TotalMinutes) < 1, $"expires_at_ms - posted_at_ms = {life}, expected 24 hours");
            return sawOneSided
                ? "the poster's address book alone is enough: a status posted before the contact synced back was queued too"
                : "mutual contacts only: a status posted before the contact synced back was not queued";
        });
    }

    /// <summary>A TEXT STATUS_POST and its SEND_ACK (an ERROR fails the check).</summary>
    private static async Task<SendAck> PostAsync(CheckContext c, ChatSession poster, string text)
    {
        var id = NewId("st");
        await poster.Connection.SendAsync(new StatusPost { RequestId = id, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8(text) });
        var ack = await poster.Connection.ExpectAsync<SendAck>(c.Answer, $"SEND_ACK for STATUS_POST {id}", a => a.ClientMsgId == id);
        Require(ack.ServerMsgId.Length > 0, "the status id (server_msg_id) is empty");
        return ack;
    }
}
