using AkkaChat.Node.Contacts;
using AkkaChat.Node.Contacts.Internal;

namespace AkkaChat.Node.Tests.Contacts;

/// <summary>What every store of address books does, run against each real database.</summary>
public abstract class AddressBooksContract : IAsyncLifetime
{
    private const string Alice = "+447700900123";
    private const string Bob = "+14155550100";
    private const string Carol = "+14155550101";
    private const string Dave = "+14155550102";

    private protected abstract Task<IAddressBooks> OpenAsync();

    protected virtual Task CleanUpAsync() => Task.CompletedTask;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => CleanUpAsync();

    [Fact]
    public async Task A_sync_replaces_the_address_book_rather_than_appending_to_it()
    {
        var books = await OpenAsync();

        await books.ReplaceAsync(Alice, [Bob, Carol]);
        await books.ReplaceAsync(Alice, [Carol, Dave]);

        var contained = await books.ContainedAsync(Alice, [Bob, Carol, Dave]);
        Assert.Equal(new HashSet<string> { Carol, Dave }, contained);
    }

    [Fact]
    public async Task An_empty_sync_empties_the_address_book()
    {
        var books = await OpenAsync();
        await books.ReplaceAsync(Alice, [Bob]);

        await books.ReplaceAsync(Alice, []);

        Assert.Empty(await books.ContainedAsync(Alice, [Bob]));
    }

    [Fact]
    public async Task Mutual_contacts_are_those_whose_own_book_holds_the_owner()
    {
        var books = await OpenAsync();
        await books.ReplaceAsync(Alice, [Bob, Carol, Dave]);
        await books.ReplaceAsync(Bob, [Alice]);
        await books.ReplaceAsync(Carol, [Dave]); // Carol does not have Alice
        await books.ReplaceAsync(Dave, [Alice, Bob]);

        Assert.Equal([Bob, Dave], await books.MutualAsync(Alice));
        Assert.Equal([Alice], await books.MutualAsync(Bob));
        Assert.Empty(await books.MutualAsync(Carol));
    }

    [Fact]
    public async Task A_book_larger_than_one_statement_is_stored_whole()
    {
        var books = await OpenAsync();
        var many = Enumerable.Range(0, 1_200).Select(i => "+1415600" + i.ToString("D4")).ToArray();

        await books.ReplaceAsync(Alice, many);

        Assert.Equal(many.Length, (await books.ContainedAsync(Alice, many)).Count);
    }
}

public sealed class SqliteAddressBooksTests : AddressBooksContract, IDisposable
{
    private readonly Support.TempDirectory _dir = new();

    private protected override Task<IAddressBooks> OpenAsync() =>
        Task.FromResult<IAddressBooks>(SqlAddressBooks.Sqlite(Path.Combine(_dir.Path, "akkachat.db")));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}

/// <summary>Needs the PostgreSQL server that scripts/build.sh starts for the slow suites.</summary>
[Trait("Category", "Slow")]
public sealed class PostgreSqlAddressBooksTests : AddressBooksContract
{
    private Support.TestPostgres? _database;

    private protected override async Task<IAddressBooks> OpenAsync()
    {
        _database = await Support.TestPostgres.CreateAsync();
        return SqlAddressBooks.PostgreSql(_database.ConnectionString);
    }

    protected override async Task CleanUpAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
