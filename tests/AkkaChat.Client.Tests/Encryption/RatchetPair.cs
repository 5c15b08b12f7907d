using System.Text;
using AkkaChat.Client.Encryption;

namespace AkkaChat.Client.Tests.Encryption;

/// <summary>
/// One side of a Double Ratchet session held in memory, decrypting on a copy and keeping it only
/// on success (as <see cref="E2eEncryptor"/> does).
/// </summary>
internal sealed class RatchetParty(IdentityKey identity, RatchetSession session)
{
    public RatchetSession Session { get; private set; } = session;

    public byte[] Send(string text, string conversation = "") => DoubleRatchet.Encrypt(Session, identity, Encoding.UTF8.GetBytes(text), conversation);

    public string Receive(byte[] envelope, string conversation = "")
    {
        var copy = Session.Clone();
        var plaintext = DoubleRatchet.Decrypt(copy, Envelope.Parse(envelope), conversation);
        Session = copy;
        return Encoding.UTF8.GetString(plaintext);
    }

    /// <summary>Alice runs X3DH against Bob's keys and sends "hello"; Bob answers the PreKey envelope and reads it.</summary>
    public static (RatchetParty Alice, RatchetParty Bob) Pair(bool withOneTimePrekey = true)
    {
        var alice = IdentityKeyPair.Generate();
        var bob = IdentityKeyPair.Generate();
        var signed = DhKeyPair.Generate();
        var oneTime = withOneTimePrekey ? DhKeyPair.Generate() : null;
        var bundle = new VerifiedBundle(bob.Public, 7, signed.Public, oneTime is null ? null : 42u, oneTime?.Public);

        var (sharedKey, baseKey, ad) = X3dh.Initiate(alice, bundle);
        var aliceParty = new RatchetParty(alice.Public,
            DoubleRatchet.InitiatorSession(sharedKey, ad, signed.Public, new PendingPreKey(7, bundle.OneTimePreKeyId, baseKey.Public)));
        var first = Envelope.Parse(aliceParty.Send("hello"));

        var (bobKey, bobAd) = X3dh.Respond(bob, signed.Private, oneTime?.Private, first.PreKey!.SenderIdentity, first.PreKey.BaseKey);
        var bobParty = new RatchetParty(bob.Public, DoubleRatchet.ResponderSession(bobKey, bobAd, first.PreKey.BaseKey, signed.Private, signed.Public));
        if (Encoding.UTF8.GetString(DoubleRatchet.Decrypt(bobParty.Session, first, "")) != "hello")
            throw new InvalidOperationException("The first message did not decrypt.");
        return (aliceParty, bobParty);
    }
}
