using AkkaChat.Node.Presence;
using AkkaChat.Node.Presence.Internal;

namespace AkkaChat.Node.Tests.Presence;

/// <summary>What every store of chats and group memberships does, run against each real database.</summary>
public abstract class AcquaintancesContract : IAsyncLifetime
{
    private const string Alice = "+447700900123";
    private const string Bob = "+14155550100";
    private const string Carol = "+14155550101";
    private const string Dave = "+14155550102";

    private protected abstract Task<IAcquaintances> OpenAsync();

    protected virtual Task CleanUpAsync() => Task.CompletedTask;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => CleanUpAsync();

    [Fact]
    public async Task A_chat_counts_for_both_users_whichever_sent_and_recording_it_again_changes_nothing()
    {
        var store = await OpenAsync();

        await store.RecordChatsAsync([(Bob, Alice)]);
        await store.RecordChatsAsync([(Alice, Bob), (Bob, Alice)]);

        Assert.Equal(new HashSet<string> { Bob }, await store.AcquaintedAsync(Alice, [Bob, Carol]));
        Assert.Equal(new HashSet<string> { Alice }, await store.AcquaintedAsync(Bob, [Alice, Carol]));
        Assert.Empty(await store.AcquaintedAsync(Carol, [Alice, Bob]));
    }

    [Fact]
    public async Task Members_of_a_common_group_are_acquainted_until_one_is_no_longer_a_member()
    {
        var store = await OpenAsync();
        await store.ReplaceGroupMembersAsync("g1", [Alice, Bob, Carol]);
        await store.ReplaceGroupMembersAsync("g2", [Dave]);

        Assert.Equal(new HashSet<string> { Bob, Carol }, await store.AcquaintedAsync(Alice, [Bob, Carol, Dave]));

        await store.ReplaceGroupMembersAsync("g1", [Alice, Carol]); // Bob left

        Assert.Equal(new HashSet<string> { Carol }, await store.AcquaintedAsync(Alice, [Bob, Carol, Dave]));
        Assert.Empty(await store.AcquaintedAsync(Bob, [Alice, Carol]));
    }

    [Fact]
    public async Task Many_pairs_and_a_long_list_are_stored_and_answered_whole()
    {
        var store = await OpenAsync();
        var many = Enumerable.Range(0, 1_200).Select(i => "+1415600" + i.ToString("D4")).ToArray();

        await store.RecordChatsAsync(many.Select(p => (Alice, p)).ToList());

        Assert.Equal(many.Length, (await store.AcquaintedAsync(Alice, many)).Count);
    }
}

public sealed class SqliteAcquaintancesTests : AcquaintancesContract, IDisposable
{
    private readonly Support.TempDirectory _dir = new();

    private protected override Task<IAcquaintances> OpenAsync() =>
        Task.FromResult<IAcquaintances>(SqlAcquaintances.Sqlite(Path.Combine(_dir.Path, "akkachat.db")));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}

/// <summary>Needs the PostgreSQL server of the slow suites (AKKACHAT_TEST_POSTGRES).</summary>
[Trait("Category", "Slow")]
public sealed class PostgreSqlAcquaintancesTests : AcquaintancesContract
{
    private Support.TestPostgres? _database;

    private protected override async Task<IAcquaintances> OpenAsync()
    {
        _database = await Support.TestPostgres.CreateAsync();
        return SqlAcquaintances.PostgreSql(_database.ConnectionString);
    }

    protected override async Task CleanUpAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
