using System.Collections.Concurrent;
using AkkaChat.Node.UserDirectory;

namespace AkkaChat.Node.Tests.Support;

/// <summary>
/// The user directory for tests of the directory's readers (the connection's frame handlers): the
/// entries in memory, a chosen part of them cached, and lookups that can be held back. The real
/// store is tested against SQLite and PostgreSQL in UserDirectory/.
/// </summary>
internal sealed class InMemoryUserDirectory : IUserDirectory
{
    private readonly ConcurrentDictionary<string, DirectoryEntry> _entries = new();
    private readonly ConcurrentDictionary<string, bool> _cached = new();

    /// <summary>While set, table lookups wait for it: a slow database.</summary>
    public TaskCompletionSource? Gate { get; set; }

    public int Lookups;

    public void Add(DirectoryEntry entry, bool cached = true)
    {
        _entries[entry.Phone] = entry;
        if (cached)
        {
            _cached[entry.Phone] = true;
        }
    }

    public bool TryGetCached(string phone, out DirectoryEntry entry)
    {
        entry = null!;
        return _cached.ContainsKey(phone) && _entries.TryGetValue(phone, out entry!);
    }

    public async Task<DirectoryEntry?> FindAsync(string phone, bool refresh = false, CancellationToken cancel = default)
    {
        Interlocked.Increment(ref Lookups);
        if (Gate is { } gate)
        {
            await gate.Task;
        }

        return _entries.GetValueOrDefault(phone);
    }

    public Task<IReadOnlyDictionary<string, DirectoryEntry>> FindManyAsync(IReadOnlyCollection<string> phones, CancellationToken cancel = default) =>
        Task.FromResult<IReadOnlyDictionary<string, DirectoryEntry>>(
            phones.Where(_entries.ContainsKey).Distinct().ToDictionary(p => p, p => _entries[p]));

    public Task WriteAsync(DirectoryEntry entry, CancellationToken cancel = default)
    {
        Add(entry, cached: false);
        return Task.CompletedTask;
    }

    public Task ConfirmAsync(string phone, CancellationToken cancel = default)
    {
        if (_entries.TryGetValue(phone, out var entry))
        {
            _entries[phone] = entry with { Confirmed = true };
        }

        return Task.CompletedTask;
    }

    public Task RemoveAsync(string phone, CancellationToken cancel = default)
    {
        _entries.TryRemove(phone, out _);
        _cached.TryRemove(phone, out _);
        return Task.CompletedTask;
    }
}
