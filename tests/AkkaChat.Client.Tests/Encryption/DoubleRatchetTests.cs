using AkkaChat.Client.Encryption;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Client.Tests.Encryption;

public sealed class DoubleRatchetTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void X3dh_gives_both_sides_the_same_key_and_associated_data(bool withOneTimePrekey)
    {
        var alice = IdentityKeyPair.Generate();
        var bob = IdentityKeyPair.Generate();
        var signed = DhKeyPair.Generate();
        var oneTime = DhKeyPair.Generate();
        var bundle = new VerifiedBundle(bob.Public, 1, signed.Public, withOneTimePrekey ? 5u : null, withOneTimePrekey ? oneTime.Public : null);

        var (aliceKey, baseKey, aliceAd) = X3dh.Initiate(alice, bundle);
        var (bobKey, bobAd) = X3dh.Respond(bob, signed.Private, withOneTimePrekey ? oneTime.Private : null, alice.Public, baseKey.Public);

        Assert.Equal(aliceKey, bobKey);
        Assert.Equal(aliceAd, bobAd);
        Assert.Equal([.. alice.Public.ToByteArray(), .. bob.Public.ToByteArray()], aliceAd);
        // Leaving out DH4 on one side only gives a different key.
        var (withoutOneTime, _) = X3dh.Respond(bob, signed.Private, withOneTimePrekey ? null : oneTime.Private, alice.Public, baseKey.Public);
        Assert.NotEqual(aliceKey, withoutOneTime);
    }

    [Fact]
    public void A_bundle_whose_signed_prekey_signature_does_not_verify_is_refused()
    {
        var bob = IdentityKeyPair.Generate();
        var signed = DhKeyPair.Generate();
        var signature = Primitives.Sign(bob.SigningSeed, signed.Public);
        KeyBundle Bundle(byte[] sig) => new()
        {
            Phone = "+15550000002",
            IdentityKey = ByteString.CopyFrom(bob.Public.ToByteArray()),
            SignedPrekey = new SignedPreKey { Id = 1, PublicKey = ByteString.CopyFrom(signed.Public), Signature = ByteString.CopyFrom(sig) },
        };

        Assert.Equal(signed.Public, X3dh.Verify("+15550000002", Bundle(signature)).SignedPreKey);
        var forged = (byte[])signature.Clone();
        forged[10] ^= 0x01;
        Assert.Throws<InvalidKeyBundleException>(() => X3dh.Verify("+15550000002", Bundle(forged)));
        var otherSigner = IdentityKeyPair.Generate();
        Assert.Throws<InvalidKeyBundleException>(() => X3dh.Verify("+15550000002", Bundle(Primitives.Sign(otherSigner.SigningSeed, signed.Public))));
        var shortIdentity = Bundle(signature);
        shortIdentity.IdentityKey = ByteString.CopyFrom(bob.DhPublic);
        Assert.Throws<InvalidKeyBundleException>(() => X3dh.Verify("+15550000002", shortIdentity));
    }

    [Fact]
    public void Two_parties_exchange_1000_messages_each_way_with_interleaved_ratchet_steps()
    {
        var (alice, bob) = RatchetParty.Pair();
        var random = new Random(1234);
        var sent = new[] { 0, 0 };
        var ratchetKeys = new HashSet<string>();
        while (sent[0] < 1000 || sent[1] < 1000)
        {
            var fromAlice = sent[1] >= 1000 || (sent[0] < 1000 && random.Next(2) == 0);
            var (sender, receiver, index) = fromAlice ? (alice, bob, 0) : (bob, alice, 1);
            var burst = Math.Min(random.Next(1, 6), 1000 - sent[index]);
            for (var i = 0; i < burst; i++)
            {
                var text = $"{(fromAlice ? "alice" : "bob")} {sent[index]++}";
                var envelope = sender.Send(text);
                ratchetKeys.Add(Convert.ToHexString(Envelope.Parse(envelope).Header.RatchetKey));
                Assert.Equal(text, receiver.Receive(envelope));
            }
        }
        // Each change of direction is a DH ratchet step with a fresh ratchet key.
        Assert.True(ratchetKeys.Count > 200, $"only {ratchetKeys.Count} ratchet keys for 2,000 interleaved messages");
    }

    [Fact]
    public void Out_of_order_messages_within_and_across_chains_decrypt()
    {
        var (alice, bob) = RatchetParty.Pair();
        var a = Enumerable.Range(1, 5).Select(i => alice.Send($"a{i}")).ToArray();
        Assert.Equal("a3", bob.Receive(a[2]));
        Assert.Equal("a1", bob.Receive(a[0]));
        Assert.Equal("b1", alice.Receive(bob.Send("b1")));
        var a6 = alice.Send("a6"); // a new sending chain after Alice's ratchet step

        Assert.Equal("a6", bob.Receive(a6));
        Assert.Equal("a5", bob.Receive(a[4]));
        Assert.Equal("a2", bob.Receive(a[1]));
        Assert.Equal("a4", bob.Receive(a[3]));
        Assert.Empty(bob.Session.Skipped);
    }

    [Fact]
    public void Lost_messages_do_not_stop_the_ones_after_them()
    {
        var (alice, bob) = RatchetParty.Pair();
        var burst = Enumerable.Range(0, 10).Select(i => alice.Send($"m{i}")).ToArray();
        foreach (var i in new[] { 2, 5, 9 }) Assert.Equal($"m{i}", bob.Receive(burst[i]));
        var reply = bob.Send("got some");
        _ = bob.Send("lost reply");
        Assert.Equal("got some", alice.Receive(reply));
        Assert.Equal("later", bob.Receive(alice.Send("later")));
        Assert.Equal("still", alice.Receive(bob.Send("still")));
        // The keys of the lost messages wait, bounded, in case the messages turn up.
        Assert.Equal(7, bob.Session.Skipped.Count);
    }

    [Fact]
    public void Skipping_more_message_keys_than_the_bound_fails_and_leaves_the_session_usable()
    {
        var (alice, bob) = RatchetParty.Pair();
        var burst = Enumerable.Range(0, DoubleRatchet.MaxSkip + 2).Select(i => alice.Send($"m{i}")).ToArray();

        var tooFar = Assert.Throws<DecryptionFailedException>(() => bob.Receive(burst[DoubleRatchet.MaxSkip + 1]));
        Assert.Equal(DecryptFailure.TooManySkipped, tooFar.Reason);
        Assert.Empty(bob.Session.Skipped);

        Assert.Equal($"m{DoubleRatchet.MaxSkip}", bob.Receive(burst[DoubleRatchet.MaxSkip]));
        Assert.Equal(DoubleRatchet.MaxSkip, bob.Session.Skipped.Count);
        Assert.Equal("m0", bob.Receive(burst[0]));
    }

    [Fact]
    public void A_replayed_ciphertext_is_rejected_in_order_out_of_order_and_from_an_old_chain()
    {
        var (alice, bob) = RatchetParty.Pair();
        var m0 = alice.Send("m0");
        var m1 = alice.Send("m1");
        var m2 = alice.Send("m2");
        bob.Receive(m0);
        bob.Receive(m2);
        bob.Receive(m1); // from the skipped keys

        foreach (var replay in new[] { m0, m1, m2 })
            Assert.Equal(DecryptFailure.Duplicate, Assert.Throws<DecryptionFailedException>(() => bob.Receive(replay)).Reason);

        alice.Receive(bob.Send("reply"));
        bob.Receive(alice.Send("new chain"));
        foreach (var replay in new[] { m0, m1, m2 })
            Assert.Equal(DecryptFailure.Duplicate, Assert.Throws<DecryptionFailedException>(() => bob.Receive(replay)).Reason);
        Assert.Equal("after", bob.Receive(alice.Send("after")));
    }

    [Fact]
    public void A_tampered_envelope_is_rejected_and_the_untampered_one_still_decrypts()
    {
        var (alice, bob) = RatchetParty.Pair();
        var envelope = alice.Send("the plan");
        var headerStart = 3 + (Envelope.Parse(envelope).Type == EnvelopeType.PreKey ? Envelope.PreKeyPartLength : 0);

        byte[] Flip(int at, byte mask = 0x01)
        {
            var copy = (byte[])envelope.Clone();
            copy[at] ^= mask;
            return copy;
        }

        Assert.Equal(DecryptFailure.Forged, Assert.Throws<DecryptionFailedException>(() => bob.Receive(Flip(envelope.Length - 1))).Reason);
        Assert.Equal(DecryptFailure.Forged, Assert.Throws<DecryptionFailedException>(() => bob.Receive(Flip(envelope.Length - 20))).Reason);
        Assert.Equal(DecryptFailure.Forged, Assert.Throws<DecryptionFailedException>(() => bob.Receive(Flip(headerStart + 32 + 4 + 3, 0x06))).Reason); // N 1 -> 7
        Assert.Equal(DecryptFailure.Forged, Assert.Throws<DecryptionFailedException>(() => bob.Receive(Flip(headerStart + 5))).Reason);
        Assert.Equal(DecryptFailure.UnsupportedVersion, Assert.Throws<DecryptionFailedException>(() => bob.Receive(Flip(1))).Reason);
        Assert.Equal(DecryptFailure.Malformed, Assert.Throws<DecryptionFailedException>(() => bob.Receive(envelope[..^17])).Reason);

        Assert.Equal("the plan", bob.Receive(envelope));
    }

    [Fact]
    public void A_message_sealed_for_a_group_does_not_open_as_a_direct_message_or_in_another_group()
    {
        var (alice, bob) = RatchetParty.Pair();
        var envelope = alice.Send("to the team", "g:team");

        Assert.Equal(DecryptFailure.Forged, Assert.Throws<DecryptionFailedException>(() => bob.Receive(envelope)).Reason);
        Assert.Equal(DecryptFailure.Forged, Assert.Throws<DecryptionFailedException>(() => bob.Receive(envelope, "g:other")).Reason);
        Assert.Equal("to the team", bob.Receive(envelope, "g:team"));
    }

    [Fact]
    public void The_initiator_sends_prekey_envelopes_until_the_responder_answers()
    {
        var (alice, bob) = RatchetParty.Pair();
        var second = alice.Send("second");
        Assert.Equal(EnvelopeType.PreKey, Envelope.Parse(second).Type);
        bob.Receive(second);
        alice.Receive(bob.Send("answer"));

        var afterAnswer = alice.Send("third");
        Assert.Equal(EnvelopeType.Normal, Envelope.Parse(afterAnswer).Type);
        Assert.Equal(Envelope.Overhead(EnvelopeType.Normal) + "third".Length, afterAnswer.Length);
        Assert.Equal(Envelope.Overhead(EnvelopeType.PreKey) + "second".Length, second.Length);
    }
}
