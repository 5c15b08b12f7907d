using System.Security.Cryptography;

namespace AkkaChat.Node.UserDirectory;

/// <summary>
/// A user as the directory knows it: the number and the SHA-256 hashes of its device tokens
/// (newest last). Readable without recovering the user's journal. <paramref name="Confirmed"/>:
/// the user's journal holds the registration; false while the registration is being journaled, or
/// after a crash in between; the user actor then decides (<c>ConfirmDirectoryEntry</c>).
/// </summary>
public sealed record DirectoryEntry(string Phone, long RegisteredAtMs, IReadOnlyList<byte[]> TokenHashes, bool Confirmed = true)
{
    /// <summary>Whether <paramref name="tokenHash"/> is one of the entry's tokens (constant time per token).</summary>
    public bool HasToken(ReadOnlySpan<byte> tokenHash)
    {
        foreach (var hash in TokenHashes)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, tokenHash))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// The registered numbers and their device-token hashes, in a table of the journal's database,
/// read through a bounded cache of known users. A superset of the journals: the user actor writes
/// a row before it journals the registration or token it describes (see docs/node.md, "User
/// directory"), so "not in the directory" is final and "in the directory" is confirmed by the
/// user actor whenever it matters (login, SEND).
/// </summary>
public interface IUserDirectory
{
    /// <summary>The cached entry of <paramref name="phone"/>, without I/O; false when not cached.</summary>
    bool TryGetCached(string phone, out DirectoryEntry entry);

    /// <summary>
    /// The entry of <paramref name="phone"/>, or null if the number is not registered. Reads the
    /// table unless the entry is cached (or <paramref name="refresh"/>, e.g. for a token the
    /// cached entry does not hold yet because another node issued it).
    /// </summary>
    Task<DirectoryEntry?> FindAsync(string phone, bool refresh = false, CancellationToken cancel = default);

    /// <summary>
    /// The entries of every registered number among <paramref name="phones"/>, in as few queries as
    /// the database allows (CONTACTS_SYNC, HTTP Bearer checks). Unregistered numbers are absent.
    /// </summary>
    Task<IReadOnlyDictionary<string, DirectoryEntry>> FindManyAsync(IReadOnlyCollection<string> phones, CancellationToken cancel = default);

    /// <summary>
    /// Writes the entry of a user (inserted, or its tokens replaced; the registration time and a
    /// confirmation already written stay); durable when the task completes.
    /// </summary>
    Task WriteAsync(DirectoryEntry entry, CancellationToken cancel = default);

    /// <summary>Marks the entry of <paramref name="phone"/> confirmed: its journal holds the registration.</summary>
    Task ConfirmAsync(string phone, CancellationToken cancel = default);

    /// <summary>Removes a number the user's journal does not know as registered (repair after a crash).</summary>
    Task RemoveAsync(string phone, CancellationToken cancel = default);

    /// <summary>
    /// The numbers whose user journal or snapshot is in the journal's database without a row here:
    /// journals written before the directory existed (the backfill at start writes their rows). A
    /// store beside no journal has none.
    /// </summary>
    Task<IReadOnlyCollection<string>> UnlistedUserJournalsAsync(CancellationToken cancel = default) =>
        Task.FromResult<IReadOnlyCollection<string>>(Array.Empty<string>());
}
