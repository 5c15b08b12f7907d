using Akka.Configuration;
using AkkaChat.Node.Configuration;

namespace AkkaChat.Node.Contacts;

/// <summary>Settings of the contacts module, from <c>akkachat.contacts</c> (documented in hocon/akkachat.conf).</summary>
/// <param name="MaxSync">Numbers one CONTACTS_SYNC may carry; more is BAD_REQUEST.</param>
public sealed record ContactsSettings(int MaxSync)
{
    public static ContactsSettings Create(Config config)
    {
        var c = config.GetConfig("akkachat") ?? throw new ConfigurationException("missing 'akkachat' section");
        return new ContactsSettings(AkkaChatSettings.Positive(c, "contacts.max-sync"));
    }
}
