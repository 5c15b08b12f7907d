using System.Security.Cryptography;
using AkkaChat.Node.UserDirectory;
using AkkaChat.Node.UserDirectory.Internal;

namespace AkkaChat.Node.Tests.UserDirectory;

/// <summary>
/// What every store of the user directory does, run against each real database: a subclass opens
/// two directories (two nodes) on one fresh database.
/// </summary>
public abstract class UserDirectoryContract : IAsyncLifetime
{
    private const string Alice = "+447700900123";
    private const string Bob = "+14155550100";

    private protected abstract Task<(SqlUserDirectory First, SqlUserDirectory Second)> OpenAsync(int cacheCapacity);

    protected virtual Task CleanUpAsync() => Task.CompletedTask;

    /// <summary>Runs <paramref name="sql"/> on the directory's database (to lay out tables as another writer would).</summary>
    private protected abstract Task ExecuteAsync(string sql);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => CleanUpAsync();

    private static byte[] Hash() => RandomNumberGenerator.GetBytes(32);

    [Fact]
    public async Task User_journals_without_a_directory_row_are_listed_until_their_rows_are_written()
    {
        var (directory, _) = await OpenAsync(100);
        Assert.Empty(await directory.UnlistedUserJournalsAsync()); // no journal tables yet: nothing predates the directory

        // The journal and snapshot tables as Akka.Persistence.Sql lays them out (the columns read here).
        await ExecuteAsync("CREATE TABLE journal (persistence_id VARCHAR(255) NOT NULL, sequence_number BIGINT NOT NULL)");
        await ExecuteAsync("CREATE TABLE snapshot (persistence_id VARCHAR(255) NOT NULL, sequence_number BIGINT NOT NULL)");
        await ExecuteAsync($"INSERT INTO journal VALUES ('user-{Alice}', 1), ('user-{Alice}', 2), ('group-g1', 1)");
        await ExecuteAsync($"INSERT INTO snapshot VALUES ('user-{Bob}', 9)");

        Assert.Equal(new[] { Bob, Alice }.Order(), (await directory.UnlistedUserJournalsAsync()).Order());

        await directory.WriteAsync(new DirectoryEntry(Alice, 1, [Hash()]));
        Assert.Equal(new[] { Bob }, await directory.UnlistedUserJournalsAsync());
    }

    [Fact]
    public async Task A_written_entry_is_found_with_its_token_hashes_in_order()
    {
        var (directory, _) = await OpenAsync(100);
        var tokens = new[] { Hash(), Hash() };

        await directory.WriteAsync(new DirectoryEntry(Alice, 1234, tokens));
        var found = await directory.FindAsync(Alice, refresh: true);

        Assert.NotNull(found);
        Assert.Equal(1234, found.RegisteredAtMs);
        Assert.Equal(tokens, found.TokenHashes);
        Assert.True(found.HasToken(tokens[1]));
        Assert.False(found.HasToken(Hash()));
    }

    [Fact]
    public async Task An_unregistered_number_is_not_found()
    {
        var (directory, _) = await OpenAsync(100);

        Assert.Null(await directory.FindAsync(Bob));
        Assert.False(directory.TryGetCached(Bob, out _));
    }

    [Fact]
    public async Task Rewriting_an_entry_replaces_its_tokens_and_keeps_the_registration_time()
    {
        var (directory, other) = await OpenAsync(100);
        var first = Hash();
        var second = Hash();

        await directory.WriteAsync(new DirectoryEntry(Alice, 1000, [first]));
        await directory.WriteAsync(new DirectoryEntry(Alice, 2000, [first, second]));
        var found = await other.FindAsync(Alice);

        Assert.NotNull(found);
        Assert.Equal(1000, found.RegisteredAtMs);
        Assert.Equal([first, second], found.TokenHashes);
    }

    [Fact]
    public async Task A_number_registered_through_another_node_is_found_after_this_node_saw_it_unregistered()
    {
        var (here, elsewhere) = await OpenAsync(100);

        Assert.Null(await here.FindAsync(Alice));
        await elsewhere.WriteAsync(new DirectoryEntry(Alice, 1, [Hash()]));

        Assert.NotNull(await here.FindAsync(Alice));
    }

    [Fact]
    public async Task A_token_issued_through_another_node_is_found_on_refresh()
    {
        var (here, elsewhere) = await OpenAsync(100);
        var old = Hash();
        var fresh = Hash();
        await here.WriteAsync(new DirectoryEntry(Alice, 1, [old]));
        await here.FindAsync(Alice);
        Assert.True(here.TryGetCached(Alice, out _));

        await elsewhere.WriteAsync(new DirectoryEntry(Alice, 1, [old, fresh]));

        Assert.False((await here.FindAsync(Alice))!.HasToken(fresh)); // the cached entry
        Assert.True((await here.FindAsync(Alice, refresh: true))!.HasToken(fresh));
    }

    [Fact]
    public async Task A_removed_number_is_not_found_on_any_node()
    {
        var (directory, other) = await OpenAsync(100);
        await directory.WriteAsync(new DirectoryEntry(Alice, 1, [Hash()]));

        await directory.RemoveAsync(Alice);

        Assert.Null(await directory.FindAsync(Alice));
        Assert.Null(await other.FindAsync(Alice));
    }

    [Fact]
    public async Task A_bulk_lookup_of_many_numbers_returns_exactly_the_registered_ones()
    {
        var (directory, other) = await OpenAsync(100);
        var numbers = Enumerable.Range(0, 1200).Select(i => $"+1415555{i:D4}").ToArray();
        var registered = numbers.Where((_, i) => i % 3 == 0).ToArray();
        foreach (var phone in registered)
        {
            await directory.WriteAsync(new DirectoryEntry(phone, 1, [Hash()]));
        }

        var found = await other.FindManyAsync(numbers.Append(numbers[0]).ToArray());

        Assert.Equal(registered.Order(), found.Keys.Order());
    }

    [Fact]
    public async Task An_unconfirmed_entry_is_found_unconfirmed_and_read_again_every_time()
    {
        var (directory, _) = await OpenAsync(100);

        await directory.WriteAsync(new DirectoryEntry(Alice, 1, [Hash()], Confirmed: false));

        Assert.False((await directory.FindAsync(Alice))!.Confirmed);
        Assert.False(directory.TryGetCached(Alice, out _));
    }

    [Fact]
    public async Task A_confirmed_entry_stays_confirmed_when_its_tokens_are_rewritten_unconfirmed()
    {
        var (directory, other) = await OpenAsync(100);
        var token = Hash();
        await directory.WriteAsync(new DirectoryEntry(Alice, 1, [Hash()], Confirmed: false));

        await directory.ConfirmAsync(Alice);
        await directory.WriteAsync(new DirectoryEntry(Alice, 1, [token], Confirmed: false));

        var found = await other.FindAsync(Alice);
        Assert.True(found!.Confirmed);
        Assert.True(found.HasToken(token));
        Assert.True(other.TryGetCached(Alice, out _));
    }

    [Fact]
    public async Task The_cache_holds_at_most_its_capacity_and_forgets_the_least_recently_used()
    {
        var (directory, _) = await OpenAsync(cacheCapacity: 2);
        foreach (var phone in new[] { "+14155550001", "+14155550002", "+14155550003" })
        {
            await directory.WriteAsync(new DirectoryEntry(phone, 1, [Hash()]));
        }

        await directory.FindAsync("+14155550001");
        await directory.FindAsync("+14155550002");
        Assert.True(directory.TryGetCached("+14155550001", out _)); // now the most recently used

        await directory.FindAsync("+14155550003");

        Assert.Equal(2, directory.CachedCount);
        Assert.False(directory.TryGetCached("+14155550002", out _));
        Assert.True(directory.TryGetCached("+14155550001", out _));
        Assert.NotNull(await directory.FindAsync("+14155550002")); // still in the table
    }
}

public sealed class SqliteUserDirectoryTests : UserDirectoryContract, IDisposable
{
    private readonly Support.TempDirectory _dir = new();

    private protected override Task<(SqlUserDirectory First, SqlUserDirectory Second)> OpenAsync(int cacheCapacity)
    {
        var file = Path.Combine(_dir.Path, "akkachat.db");
        return Task.FromResult((SqlUserDirectory.Sqlite(file, cacheCapacity), SqlUserDirectory.Sqlite(file, cacheCapacity)));
    }

    private protected override async Task ExecuteAsync(string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir.Path, "akkachat.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}

/// <summary>Needs the PostgreSQL server that scripts/build.sh starts for the slow suites.</summary>
[Trait("Category", "Slow")]
public sealed class PostgreSqlUserDirectoryTests : UserDirectoryContract
{
    private Support.TestPostgres? _database;

    private protected override async Task<(SqlUserDirectory First, SqlUserDirectory Second)> OpenAsync(int cacheCapacity)
    {
        _database = await Support.TestPostgres.CreateAsync();
        return (SqlUserDirectory.PostgreSql(_database.ConnectionString, cacheCapacity), SqlUserDirectory.PostgreSql(_database.ConnectionString, cacheCapacity));
    }

    private protected override async Task ExecuteAsync(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_database!.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    protected override async Task CleanUpAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
