using AkkaChat.Node.Statuses;
using AkkaChat.Node.Statuses.Internal;
using Google.Protobuf;

namespace AkkaChat.Node.Tests.Status;

/// <summary>What every status store does, run against each real database: two stores (two nodes) on one database.</summary>
public abstract class StatusStoreContract : IAsyncLifetime
{
    private const string Alice = "+447700900123";

    private protected abstract Task<(IStatusStore First, IStatusStore Second)> OpenAsync();

    protected virtual Task CleanUpAsync() => Task.CompletedTask;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => CleanUpAsync();

    private static PostedStatus Status(string id, string requestId, long postedAt = 1_000, long ttl = 86_400_000) =>
        new(id, Alice, requestId, 1, ByteString.CopyFromUtf8("at the beach " + id), "", postedAt, postedAt + ttl);

    [Fact]
    public async Task A_saved_status_is_found_with_its_body_from_another_node()
    {
        var (here, elsewhere) = await OpenAsync();

        var saved = await here.SaveAsync(Status("s1", "r1"));
        var found = await elsewhere.FindAsync("s1");

        Assert.Equal(saved, found);
        Assert.Equal("at the beach s1", found!.Body.ToStringUtf8());
    }

    [Fact]
    public async Task Posting_the_same_request_id_again_returns_the_first_status()
    {
        var (here, elsewhere) = await OpenAsync();

        var first = await here.SaveAsync(Status("s1", "r1"));
        var again = await elsewhere.SaveAsync(Status("s2", "r1", postedAt: 5_000));

        Assert.Equal(first, again);
        Assert.Null(await elsewhere.FindAsync("s2"));
    }

    [Fact]
    public async Task Expired_statuses_are_deleted_and_others_kept()
    {
        var (here, elsewhere) = await OpenAsync();
        await here.SaveAsync(Status("old", "r1", postedAt: 1_000, ttl: 1_000));
        await here.SaveAsync(Status("new", "r2", postedAt: 1_000, ttl: 10_000));

        var deleted = await elsewhere.DeleteExpiredAsync(nowMs: 2_000);

        Assert.Equal(1, deleted);
        Assert.Null(await elsewhere.FindAsync("old"));
        Assert.NotNull(await elsewhere.FindAsync("new"));
    }
}

public sealed class SqliteStatusStoreTests : StatusStoreContract, IDisposable
{
    private readonly Support.TempDirectory _dir = new();

    private protected override Task<(IStatusStore First, IStatusStore Second)> OpenAsync()
    {
        var file = Path.Combine(_dir.Path, "akkachat.db");
        return Task.FromResult<(IStatusStore, IStatusStore)>((SqlStatusStore.Sqlite(file, 100), SqlStatusStore.Sqlite(file, 100)));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}

/// <summary>Needs the PostgreSQL server that scripts/build.sh starts for the slow suites.</summary>
[Trait("Category", "Slow")]
public sealed class PostgreSqlStatusStoreTests : StatusStoreContract
{
    private Support.TestPostgres? _database;

    private protected override async Task<(IStatusStore First, IStatusStore Second)> OpenAsync()
    {
        _database = await Support.TestPostgres.CreateAsync();
        return (SqlStatusStore.PostgreSql(_database.ConnectionString, 100), SqlStatusStore.PostgreSql(_database.ConnectionString, 100));
    }

    protected override async Task CleanUpAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
