using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Contacts.Internal;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Modules;
using AkkaChat.Node.Registration;
using AkkaChat.Node.UserDirectory;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Microsoft.Extensions.DependencyInjection;
using AkkaChat.Node.Diagnostics;
using ProtocolError = AkkaChat.Protocol.Messages.Error;

namespace AkkaChat.Node.Contacts;

/// <summary>
/// CONTACTS_SYNC: stores the user's address book (replacing the previous one) and answers
/// CONTACTS_RESULT with the registered numbers among those sent, found in one bulk lookup of the
/// user directory. At most <see cref="ContactsSettings.MaxSync"/> numbers (BAD_REQUEST beyond);
/// invalid numbers are skipped. Logged in only. The address books serve the presence privacy rule
/// and the status audience (mutual contacts).
/// </summary>
public sealed class ContactsModule(ContactsSettings settings, IAddressBooks books, IUserDirectory directory) : INodeModule
{
    public string Name => "contacts";

    public void MapFrames(FrameRoutes.Builder routes, IReadOnlyActorRegistry registry)
    {
        var users = registry.Get<UserShard>();
        routes.Serve<ContactsSync>(ConnectionPhase.LoggedIn, (sync, connection) => HandleSync(sync, connection, users));
    }

    private void HandleSync(ContactsSync sync, IConnection connection, IActorRef users)
    {
        if (sync.Phones.Count > settings.MaxSync)
        {
            connection.Reply(ProtocolError.Of(ErrorCode.BadRequest, $"a CONTACTS_SYNC carries at most {settings.MaxSync} numbers, not {sync.Phones.Count}"));
            return;
        }

        var book = AddressBook.FromSync(connection.Phone!, sync.Phones, out _);
        connection.Await(
            SyncAsync(connection.Phone!, book),
            found =>
            {
                var registered = new ContactsResult();
                foreach (var phone in book)
                {
                    if (!found.TryGetValue(phone, out var entry))
                    {
                        continue;
                    }

                    // An unconfirmed entry may be a registration that never reached the journal:
                    // not reported until its user actor confirms it.
                    RegistrationModule.ConfirmIfPending(entry, users, connection);
                    if (entry.Confirmed)
                    {
                        registered.Registered.Add(phone);
                    }
                }

                connection.Write(registered);
            },
            failure => connection.Reply(Overload.Refusal(failure, "the address book was not stored; sync again")));
    }

    private async Task<IReadOnlyDictionary<string, DirectoryEntry>> SyncAsync(string owner, IReadOnlyList<string> book)
    {
        await books.ReplaceAsync(owner, book).ConfigureAwait(false);
        return await directory.FindManyAsync(book).ConfigureAwait(false);
    }

    /// <summary>The address books in the journal's database of <paramref name="settings"/>.</summary>
    public static IAddressBooks Open(AkkaChatSettings settings) =>
        settings.Storage == StorageProvider.Sqlite
            ? SqlAddressBooks.Sqlite(NodeConfig.SqliteFile(settings))
            : SqlAddressBooks.PostgreSql(settings.StorageConnectionString);
}

public static class ContactsHostingExtensions
{
    /// <summary>Address books: CONTACTS_SYNC, and <see cref="IAddressBooks"/> for presence and status.</summary>
    public static IServiceCollection AddContacts(this IServiceCollection services, Config config)
    {
        services.AddSingleton(ContactsSettings.Create(config));
        services.AddSingleton(provider => ContactsModule.Open(provider.GetRequiredService<AkkaChatSettings>()));
        return services.AddNodeModule<ContactsModule>();
    }
}
