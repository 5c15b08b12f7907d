using AkkaChat.Protocol;

namespace AkkaChat.Node.Contacts;

/// <summary>
/// The rules of CONTACTS_SYNC, pure: which numbers of a sync form the user's address book.
/// </summary>
public static class AddressBook
{
    /// <summary>
    /// The address book a CONTACTS_SYNC of <paramref name="phones"/> by <paramref name="owner"/>
    /// stores: every valid E.164 number once, in the order first sent, without the owner's own
    /// number. Invalid numbers are skipped (counted in <paramref name="skipped"/>), never fatal.
    /// </summary>
    public static IReadOnlyList<string> FromSync(string owner, IEnumerable<string> phones, out int skipped)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var book = new List<string>();
        skipped = 0;
        foreach (var phone in phones)
        {
            if (!PhoneNumber.IsValid(phone))
            {
                skipped++;
            }
            else if (phone != owner && seen.Add(phone))
            {
                book.Add(phone);
            }
        }

        return book;
    }
}
