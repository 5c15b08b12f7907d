using System.Data.Common;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Storage;
using AkkaChat.Node.Tests.Support;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit;

namespace AkkaChat.Node.Tests.Storage;

/// <summary>
/// The node's journal write path (akkachat.storage.journal.insert = prepared) on a real database:
/// what it writes Akka.Persistence.Sql's stock journal recovers (and back), many users' writes
/// share a transaction, a failed transaction fails every write in it and the next one succeeds.
/// Transactions are observed through the writer's own counters; to hold writes back so that they
/// queue, a test takes the database's write lock from a connection of its own.
/// </summary>
public abstract class PreparedJournalContract : IAsyncLifetime
{
    /// <summary>Generous: a loaded 2-core machine, and the first write creates the tables.</summary>
    protected static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly List<ActorSystem> _systems = [];

    /// <summary>The database under test, as node settings lines (provider, where).</summary>
    private protected abstract string[] StorageLines { get; }

    /// <summary>A connection of the test's own to the journal's database, open.</summary>
    private protected abstract Task<DbConnection> OpenAsync();

    /// <summary>SQL run in a transaction on the test's connection that keeps every journal insert waiting until it ends.</summary>
    private protected abstract string BlockWritesSql { get; }

    /// <summary>SQL that makes the database refuse any journal row of persistence id <paramref name="id"/>.</summary>
    private protected abstract string RefuseRowsOfSql(string id);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var system in _systems)
        {
            await system.Terminate();
        }
    }

    private ActorSystem Start(string insert, params string[] more) => StartWith(Config.Empty, insert, more);

    private ActorSystem StartWith(Config akka, string insert, params string[] more)
    {
        var settings = TestSettings.Create([.. StorageLines, $"akkachat.storage.journal.insert = {insert}", .. more]);
        if (settings.Storage == StorageProvider.Sqlite)
        {
            AkkaChatHostingExtensions.PrepareSqlite(settings);
        }

        var config = akka.WithFallback(ConfigurationFactory.ParseString("akka.actor.provider = local")).WithFallback(NodeConfig.AkkaConfig(settings));
        var system = ActorSystem.Create("journal-" + _systems.Count, config);
        _systems.Add(system);
        return system;
    }

    private static async Task<JournalWriterFigures> FiguresOf(ActorSystem system) =>
        await Persistence.Instance.Apply(system).JournalFor(null).Ask<JournalWriterFigures>(PreparedSqlWriteJournal.GetFigures.Instance, Deadline);

    private static async Task AwaitFigures(ActorSystem system, Func<JournalWriterFigures, bool> condition, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            var figures = await FiguresOf(system);
            if (condition(figures))
            {
                return;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"{what} within {Deadline}; figures: {figures}");
            }

            await Task.Delay(20);
        }
    }

    private static IActorRef Recorder(ActorSystem system, string id) => system.ActorOf(Props.Create(() => new RecorderActor(id)));

    /// <summary>The events of <paramref name="id"/> as recovered by a fresh actor, and its highest sequence number.</summary>
    private static async Task<RecorderActor.State> Recover(ActorSystem system, string id) =>
        await Recorder(system, id).Ask<RecorderActor.State>(RecorderActor.GetState.Instance, Deadline);

    private static Task<object> Persist(IActorRef recorder, params string[] events) =>
        recorder.Ask<object>(new RecorderActor.PersistEvents(events), Deadline);

    [Fact]
    public async Task Events_the_prepared_path_writes_are_recovered_in_order_by_the_stock_plugin_and_back()
    {
        var prepared = Start("prepared");
        var ids = Enumerable.Range(0, 12).Select(i => $"user-{i}").ToArray();
        var recorders = ids.Select(id => Recorder(prepared, id)).ToArray();

        // Single events and multi-event writes (PersistAll: one write of several rows), interleaved across ids.
        for (var round = 0; round < 3; round++)
        {
            var writes = recorders.Select((r, i) => i % 2 == 0
                ? Persist(r, $"{ids[i]}:{round}")
                : Persist(r, $"{ids[i]}:{round}a", $"{ids[i]}:{round}b", $"{ids[i]}:{round}c"));
            Assert.All(await Task.WhenAll(writes), reply => Assert.IsType<RecorderActor.Persisted>(reply));
        }

        var figures = await FiguresOf(prepared);
        Assert.Equal(6 * 3 * 1 + 6 * 3 * 3, figures.Rows);
        Assert.Equal(36, figures.Writes);

        await prepared.Terminate();
        var stock = Start("multi-row");
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            var expected = Enumerable.Range(0, 3).SelectMany(round => i % 2 == 0
                ? new[] { $"{id}:{round}" }
                : new[] { $"{id}:{round}a", $"{id}:{round}b", $"{id}:{round}c" }).ToArray();
            var state = await Recover(stock, id);
            Assert.Equal(expected, state.Events);
            Assert.Equal(expected.Length, state.LastSequenceNr);
        }

        // The stock plugin appends, the prepared path recovers both and appends after them.
        Assert.IsType<RecorderActor.Persisted>(await Persist(Recorder(stock, "user-0"), "stock"));
        await stock.Terminate();
        var again = Start("prepared");
        var user0 = Recorder(again, "user-0");
        Assert.IsType<RecorderActor.Persisted>(await Persist(user0, "prepared-again"));
        var recovered = await Recover(again, "user-0");
        Assert.Equal(["user-0:0", "user-0:1", "user-0:2", "stock", "prepared-again"], recovered.Events);
        Assert.Equal(5, recovered.LastSequenceNr);
    }

    [Fact]
    public async Task A_row_the_prepared_path_writes_has_the_columns_and_types_of_the_stock_plugins_row()
    {
        var stock = Start("multi-row");
        Assert.IsType<RecorderActor.Persisted>(await Persist(Recorder(stock, "stock-row"), "same payload"));
        await stock.Terminate();
        var prepared = Start("prepared");
        Assert.IsType<RecorderActor.Persisted>(await Persist(Recorder(prepared, "prepared-row"), "same payload"));

        var stockRow = await ReadRow("stock-row");
        var preparedRow = await ReadRow("prepared-row");
        Assert.Equal(stockRow.Keys.Order(), preparedRow.Keys.Order());
        foreach (var (column, (type, value)) in stockRow)
        {
            Assert.True(type == preparedRow[column].Type, $"column {column}: {type} (stock) vs {preparedRow[column].Type} (prepared)");
            if (column is not ("ordering" or "persistence_id" or "created" or "writer_uuid"))
            {
                Assert.True(Equals(value, preparedRow[column].Value), $"column {column}: '{value}' (stock) vs '{preparedRow[column].Value}' (prepared)");
            }
        }
    }

    /// <summary>Every column of the one journal row of <paramref name="id"/>: its type as the database reports it, and its value (bytes as hex).</summary>
    private async Task<Dictionary<string, (string Type, object? Value)>> ReadRow(string id)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM journal WHERE persistence_id = '{id}'";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"no journal row of {id}");
        var row = new Dictionary<string, (string, object?)>();
        for (var i = 0; i < reader.FieldCount; i++)
        {
            var value = reader.IsDBNull(i) ? null : reader.GetValue(i);
            row[reader.GetName(i)] = (reader.IsDBNull(i) ? "null" : reader.GetDataTypeName(i) + "/" + value!.GetType().Name, value is byte[] bytes ? Convert.ToHexString(bytes) : value);
        }

        return row;
    }

    [Fact]
    public async Task A_write_whose_event_does_not_serialize_is_rejected_and_the_actor_writes_on()
    {
        var system = StartWith(
            ConfigurationFactory.ParseString($$"""
                akka.actor.serializers.unwritable = "{{typeof(UnwritableSerializer).AssemblyQualifiedName}}"
                akka.actor.serialization-bindings { "{{typeof(Unwritable).AssemblyQualifiedName}}" = unwritable }
                """),
            "prepared");
        var recorder = Recorder(system, "rejecting");
        var rejected = Assert.IsType<RecorderActor.PersistFailed>(await recorder.Ask<object>(new RecorderActor.PersistOther(new Unwritable()), Deadline));
        Assert.StartsWith("rejected: ", rejected.Reason);

        Assert.IsType<RecorderActor.Persisted>(await Persist(recorder, "after the rejection"));
        Assert.Equal(["after the rejection"], (await Recover(system, "rejecting")).Events);
        Assert.Equal(0, (await FiguresOf(system)).FailedTransactions);
    }

    /// <summary>An event its serializer cannot write.</summary>
    public sealed class Unwritable;

    public sealed class UnwritableSerializer(ExtendedActorSystem system) : Akka.Serialization.Serializer(system)
    {
        public override int Identifier => 917_001;

        public override bool IncludeManifest => false;

        public override byte[] ToBinary(object obj) => throw new InvalidOperationException("this event cannot be written");

        public override object FromBinary(byte[] bytes, Type? type) => throw new InvalidOperationException("never written");
    }

    [Fact]
    public async Task Writes_of_many_users_queued_behind_a_transaction_share_the_next_one()
    {
        // One writer loop, so that one transaction waits for the lock and the others queue.
        var system = Start("prepared", "akkachat.storage.journal.parallelism = 1");
        Assert.IsType<RecorderActor.Persisted>(await Persist(Recorder(system, "warm-up"), "tables exist"));
        var before = await FiguresOf(system);

        const int users = 40;
        // Recovered before the lock is taken (on SQLite a recovery's read transaction waits for it too).
        var recorders = Enumerable.Range(0, users).Select(i => Recorder(system, $"many-{i}")).ToArray();
        await Task.WhenAll(recorders.Select(r => r.Ask<RecorderActor.State>(RecorderActor.GetState.Instance, Deadline)));
        Task<object>[] writes;
        await using (var blocker = await OpenAsync())
        await using (var transaction = await blocker.BeginTransactionAsync())
        {
            await using (var block = blocker.CreateCommand())
            {
                block.Transaction = transaction;
                block.CommandText = BlockWritesSql;
                await block.ExecuteNonQueryAsync();
            }

            writes = recorders.Select((r, i) => Persist(r, $"event {i}")).ToArray();
            // Every write is in the writer: taken into the transaction now waiting for the lock, or queued behind it.
            await AwaitFigures(system, f => f.QueuedRows + f.RowsInFlight == users, "all writes queued or in flight");
            Assert.Equal(before.Transactions, (await FiguresOf(system)).Transactions);
            await transaction.RollbackAsync();
        }

        Assert.All(await Task.WhenAll(writes), reply => Assert.IsType<RecorderActor.Persisted>(reply));
        var after = await FiguresOf(system);
        Assert.Equal(users, after.Writes - before.Writes);
        // The blocked transaction took what had arrived by then; everything queued behind it went in one more.
        Assert.InRange(after.Transactions - before.Transactions, 1, 2);
        Assert.Equal(0, after.FailedTransactions);
    }

    [Fact]
    public async Task A_failed_transaction_fails_every_write_in_it_and_the_next_transaction_succeeds()
    {
        var system = Start("prepared", "akkachat.storage.journal.parallelism = 1");
        var warmUp = Recorder(system, "warm-up");
        Assert.IsType<RecorderActor.Persisted>(await Persist(warmUp, "tables exist"));
        await using (var setup = await OpenAsync())
        await using (var refuse = setup.CreateCommand())
        {
            refuse.CommandText = RefuseRowsOfSql("poison");
            await refuse.ExecuteNonQueryAsync();
        }

        var ids = new[] { "poison", "ok-1", "ok-2", "ok-3", "ok-4" };
        var recorders = ids.Select(id => Recorder(system, id)).ToArray();
        await Task.WhenAll(recorders.Select(r => r.Ask<RecorderActor.State>(RecorderActor.GetState.Instance, Deadline)));
        var before = await FiguresOf(system);
        Task<object> first;
        Task<object>[] together;
        await using (var blocker = await OpenAsync())
        await using (var transaction = await blocker.BeginTransactionAsync())
        {
            await using (var block = blocker.CreateCommand())
            {
                block.Transaction = transaction;
                block.CommandText = BlockWritesSql;
                await block.ExecuteNonQueryAsync();
            }

            // One write holds the writer in a transaction waiting for the lock ...
            first = Persist(warmUp, "first, alone");
            await AwaitFigures(system, f => f.RowsInFlight == 1, "the first write in flight");
            // ... while the refused row and the rows of four other users queue for the next transaction.
            together = recorders.Select((r, i) => Persist(r, $"{ids[i]} event")).ToArray();
            await AwaitFigures(system, f => f.QueuedRows == 5, "five writes queued");
            await transaction.RollbackAsync();
        }

        Assert.IsType<RecorderActor.Persisted>(await first);
        var replies = await Task.WhenAll(together);
        Assert.All(replies, reply => Assert.IsType<RecorderActor.PersistFailed>(reply));
        var failed = await FiguresOf(system);
        Assert.Equal(1, failed.FailedTransactions - before.FailedTransactions);

        // The next transaction, on a connection opened anew, stores its write; the failed ones left no row.
        Assert.IsType<RecorderActor.Persisted>(await Persist(Recorder(system, "after"), "after the failure"));
        var after = await FiguresOf(system);
        Assert.Equal(failed.ConnectionsOpened + 1, after.ConnectionsOpened);
        Assert.Equal(["after the failure"], (await Recover(system, "after")).Events);
        foreach (var id in ids)
        {
            Assert.Empty((await Recover(system, id)).Events);
        }
    }

    [Fact]
    public async Task A_write_past_buffer_size_fails_at_once_as_overload_and_the_queued_ones_are_stored()
    {
        var system = Start("prepared", "akkachat.storage.journal.parallelism = 1", "akkachat.storage.journal.buffer-size = 2");
        var recorders = Enumerable.Range(0, 4).Select(i => Recorder(system, $"buffer-{i}")).ToArray();
        await Task.WhenAll(recorders.Select(r => r.Ask<RecorderActor.State>(RecorderActor.GetState.Instance, Deadline)));
        Task<object> inFlight;
        Task<object>[] queued;
        Task<object> refused;
        await using (var blocker = await OpenAsync())
        await using (var transaction = await blocker.BeginTransactionAsync())
        {
            await using (var block = blocker.CreateCommand())
            {
                block.Transaction = transaction;
                block.CommandText = BlockWritesSql;
                await block.ExecuteNonQueryAsync();
            }

            inFlight = Persist(recorders[0], "in flight");
            await AwaitFigures(system, f => f.RowsInFlight == 1, "the first write in flight");
            queued = [Persist(recorders[1], "queued 1"), Persist(recorders[2], "queued 2")];
            await AwaitFigures(system, f => f.QueuedRows == 2, "two writes queued");
            // Refused by the writer at once; the journal answers it after the earlier writes (its replies keep their order).
            refused = Persist(recorders[3], "one too many");
            await AwaitFigures(system, f => f.RefusedWrites == 1, "the fourth write refused");
            Assert.Equal(2, (await FiguresOf(system)).QueuedRows);
            await transaction.RollbackAsync();
        }

        var failure = Assert.IsType<RecorderActor.PersistFailed>(await refused);
        Assert.True(failure.Overload, failure.Reason);
        Assert.IsType<RecorderActor.Persisted>(await inFlight);
        Assert.All(await Task.WhenAll(queued), reply => Assert.IsType<RecorderActor.Persisted>(reply));
    }
}

/// <summary>The contract on the node's SQLite journal file, in a temp directory.</summary>
public sealed class SqlitePreparedJournalTests : PreparedJournalContract
{
    private readonly TempDirectory _dir = new();

    private protected override string[] StorageLines => [TestSettings.Quoted("akkachat.storage.data-dir", _dir.Path)];

    private string File => Path.Combine(_dir.Path, "akkachat.db");

    private protected override async Task<DbConnection> OpenAsync()
    {
        var connection = new SqliteConnection($"Data Source={File};Pooling=False;Default Timeout=60");
        await connection.OpenAsync();
        return connection;
    }

    // Microsoft.Data.Sqlite begins with BEGIN IMMEDIATE: the transaction holds the write lock at once.
    private protected override string BlockWritesSql => "SELECT 1";

    private protected override string RefuseRowsOfSql(string id) =>
        $"CREATE TRIGGER refuse_{id} BEFORE INSERT ON journal WHEN NEW.persistence_id = '{id}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;";

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    [Theory]
    [InlineData("off", 0)]
    [InlineData("full", 2)]
    [InlineData("extra", 3)]
    public async Task Writer_connection_runs_with_the_configured_synchronous_level(string level, long expected)
    {
        var settings = TestSettings.Create([.. StorageLines, "akkachat.storage.journal.insert = prepared", $"akkachat.storage.sqlite.synchronous = {level}"]);
        AkkaChatHostingExtensions.PrepareSqlite(settings);
        var config = ConfigurationFactory.ParseString("akka.actor.provider = local").WithFallback(NodeConfig.AkkaConfig(settings));
        var system = ActorSystem.Create("synchronous", config);
        try
        {
            var recorder = system.ActorOf(Props.Create(() => new RecorderActor("pragma")));
            Assert.IsType<RecorderActor.Persisted>(await recorder.Ask<object>(new RecorderActor.PersistEvents(["one"]), Deadline));
            var figures = await Persistence.Instance.Apply(system).JournalFor(null).Ask<JournalWriterFigures>(PreparedSqlWriteJournal.GetFigures.Instance, Deadline);
            Assert.Equal(expected, figures.SqliteSynchronous);
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task Stopping_the_writer_fails_the_queued_writes_at_its_timeout_while_a_transaction_waits_for_the_database()
    {
        // The journal's tables, created by the journal itself; then a writer of the test's own on them.
        var settings = TestSettings.Create([.. StorageLines, "akkachat.storage.journal.insert = prepared"]);
        AkkaChatHostingExtensions.PrepareSqlite(settings);
        var akka = NodeConfig.AkkaConfig(settings);
        var system = ActorSystem.Create("tables", ConfigurationFactory.ParseString("akka.actor.provider = local").WithFallback(akka));
        try
        {
            Assert.IsType<RecorderActor.Persisted>(await system.ActorOf(Props.Create(() => new RecorderActor("tables"))).Ask<object>(new RecorderActor.PersistEvents(["created"]), Deadline));
        }
        finally
        {
            await system.Terminate();
        }

        var journal = new Akka.Persistence.Sql.Config.JournalConfig(akka.GetConfig("akka.persistence.journal.sql").WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultJournalConfiguration));
        var writer = new JournalRowWriter(new JournalWriterOptions(
            JournalWriterProvider.Sqlite,
            journal.ConnectionString,
            JournalWriterOptions.TableOf(journal.TableConfig),
            JournalWriterOptions.ColumnsOf(journal.TableConfig, journal.PluginConfig.TagMode),
            BatchSize: 100,
            BufferSize: 100,
            Connections: 1,
            SqliteSynchronous: 1));
        static Akka.Persistence.Sql.Journal.Types.JournalRow[] Row(string id) =>
            [new() { PersistenceId = id, SequenceNumber = 1, Message = [1, 2, 3], Manifest = "m", Identifier = 1, Timestamp = 1 }];

        Task inFlight;
        Task stopped;
        await using (var blocker = await OpenAsync())
        await using (var transaction = await blocker.BeginTransactionAsync())
        {
            inFlight = writer.WriteAsync(Row("in-flight"));
            var until = DateTime.UtcNow + Deadline;
            while (writer.Figures.RowsInFlight != 1)
            {
                Assert.True(DateTime.UtcNow < until, $"the first write never went in flight: {writer.Figures}");
                await Task.Delay(20);
            }

            var queued = writer.WriteAsync(Row("queued"));
            stopped = writer.StopAsync(TimeSpan.FromMilliseconds(200));

            // Failed at the stop's timeout although the writer loop is still inside the transaction waiting for the lock.
            await Assert.ThrowsAsync<InvalidOperationException>(() => queued.WaitAsync(Deadline));
            await Assert.ThrowsAsync<InvalidOperationException>(() => writer.WriteAsync(Row("after the stop")));
            Assert.False(inFlight.IsCompleted);
            Assert.False(stopped.IsCompleted);
            await transaction.RollbackAsync();
        }

        // The transaction in progress is finished, not abandoned, and the stop then completes.
        await inFlight.WaitAsync(Deadline);
        await stopped.WaitAsync(Deadline);
        Assert.Equal(1, writer.Figures.Rows);
    }
}

/// <summary>The contract on PostgreSQL (AKKACHAT_TEST_POSTGRES, or the local server on 5433), a fresh database per test.</summary>
[Trait("Category", "Slow")]
public sealed class PostgreSqlPreparedJournalTests : PreparedJournalContract
{
    private TestPostgres? _database;

    private protected override string[] StorageLines =>
    [
        "akkachat.storage.provider = postgresql",
        TestSettings.Quoted("akkachat.storage.connection-string", _database!.ConnectionString),
    ];

    public override async Task InitializeAsync() => _database = await TestPostgres.CreateAsync();

    private protected override async Task<DbConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(_database!.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private protected override string BlockWritesSql => "LOCK TABLE journal IN EXCLUSIVE MODE";

    private protected override string RefuseRowsOfSql(string id) =>
        $"ALTER TABLE journal ADD CONSTRAINT refuse_{id} CHECK (persistence_id <> '{id}')";

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

/// <summary>A persistent actor of string events that answers each write with Persisted or PersistFailed.</summary>
internal sealed class RecorderActor : ReceivePersistentActor
{
    private readonly List<string> _events = [];
    private IActorRef _asker = ActorRefs.Nobody;

    public RecorderActor(string id)
    {
        PersistenceId = id;
        Recover<string>(e => _events.Add(e));
        Command<PersistEvents>(p =>
        {
            _asker = Sender;
            var left = p.Events.Length;
            PersistAll(p.Events, e =>
            {
                _events.Add(e);
                if (--left == 0)
                {
                    _asker.Tell(new Persisted(LastSequenceNr));
                }
            });
        });
        Command<PersistOther>(p =>
        {
            _asker = Sender;
            Persist(p.Event, _ => _asker.Tell(new Persisted(LastSequenceNr)));
        });
        Command<GetState>(_ => Sender.Tell(new State([.. _events], LastSequenceNr)));
    }

    public override string PersistenceId { get; }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _asker.Tell(new PersistFailed(cause.Message, AkkaChat.Node.Diagnostics.Overload.IsCause(cause)));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _asker.Tell(new PersistFailed("rejected: " + cause.Message, false));
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    public sealed record PersistEvents(string[] Events);

    /// <summary>Persist one event that is not a string (recovery does not replay it).</summary>
    public sealed record PersistOther(object Event);

    public sealed record Persisted(long SequenceNr);

    /// <param name="Overload">Whether the node answers the cause OVERLOADED (Diagnostics.Overload).</param>
    public sealed record PersistFailed(string Reason, bool Overload);

    public sealed class GetState
    {
        public static readonly GetState Instance = new();
    }

    public sealed record State(string[] Events, long LastSequenceNr);
}
