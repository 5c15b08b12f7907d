namespace AkkaChat.Node.Contacts;

/// <summary>
/// Every user's address book, as last synced: a table of (owner, contact) pairs in the journal's
/// database, indexed both ways, so that "who has me in their book" is one query. Not journaled:
/// a sync replaces the whole book in one transaction, durable when the task completes.
/// </summary>
public interface IAddressBooks
{
    /// <summary>Replaces <paramref name="owner"/>'s address book with <paramref name="contacts"/> (replace, not append).</summary>
    Task ReplaceAsync(string owner, IReadOnlyCollection<string> contacts, CancellationToken cancel = default);

    /// <summary>Those of <paramref name="phones"/> that are in <paramref name="owner"/>'s address book.</summary>
    Task<IReadOnlySet<string>> ContainedAsync(string owner, IReadOnlyCollection<string> phones, CancellationToken cancel = default);

    /// <summary>
    /// The mutual contacts of <paramref name="owner"/>: numbers in owner's address book whose own
    /// address book holds owner. Registered or not (the caller asks the user directory).
    /// </summary>
    Task<IReadOnlyList<string>> MutualAsync(string owner, CancellationToken cancel = default);
}
