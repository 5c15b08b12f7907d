using System.Data.Common;
using System.Threading.Channels;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Journal.Types;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace AkkaChat.Node.Storage;

/// <summary>
/// The journal's write path under <see cref="PreparedSqlWriteJournal"/>: rows of
/// Akka.Persistence.Sql's own table (<see cref="JournalRow"/>, serialized by the plugin's
/// serializer) are queued and written by writer loops, each holding one open connection and one
/// INSERT prepared once per connection whose parameters are rebound per row.
/// <para>Group commit: each transaction takes every write waiting, whole, up to
/// <c>batch-size</c> rows, commits once, then completes all their tasks; a failed transaction
/// fails every write in it, and its connection is closed so that the next transaction opens a
/// fresh one. SQLite has one writer loop (one connection); PostgreSQL <c>parallelism</c>.</para>
/// <para>Order: writes are taken from the queue in the order they were queued. With more than one
/// writer loop two transactions may commit in either order, so a write must not be queued while
/// an earlier write of the same persistence id is in flight; <see cref="PreparedSqlWriteJournal"/>
/// chains them.</para>
/// </summary>
public sealed class JournalRowWriter
{
    /// <summary>Part of every refusal for a full queue: what <c>Overload.IsCause</c> recognises (the plugin's own wording).</summary>
    public const string QueueFullMessage = "the queue buffer was full";

    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly JournalWriterOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task[] _loops;
    private int _queuedRows;
    private long _transactions;
    private long _rows;
    private long _writes;
    private long _failedTransactions;
    private long _connectionsOpened;
    private int _rowsInFlight;
    private long _refusedWrites;
    private long _sqliteSynchronous = -1;

    public JournalRowWriter(JournalWriterOptions options)
    {
        _options = options;
        _loops = new Task[options.Connections];
        for (var i = 0; i < _loops.Length; i++)
        {
            _loops[i] = Task.Run(RunAsync);
        }
    }

    /// <summary>The figures so far: what tests and metrics read instead of timing.</summary>
    public JournalWriterFigures Figures => new(
        Interlocked.Read(ref _transactions),
        Interlocked.Read(ref _writes),
        Interlocked.Read(ref _rows),
        Interlocked.Read(ref _failedTransactions),
        Interlocked.Read(ref _connectionsOpened),
        Volatile.Read(ref _queuedRows),
        Volatile.Read(ref _rowsInFlight),
        Interlocked.Read(ref _refusedWrites),
        Interlocked.Read(ref _sqliteSynchronous) is var level and >= 0 ? level : null);

    /// <summary>
    /// Queues <paramref name="rows"/> (one persistent actor's write, all or none) for the next
    /// transaction. The task completes when their transaction has committed, or fails with its
    /// exception; it fails at once when the queue holds <c>buffer-size</c> rows or the writer is stopped.
    /// </summary>
    public Task WriteAsync(JournalRow[] rows)
    {
        if (Interlocked.Add(ref _queuedRows, rows.Length) > _options.BufferSize && rows.Length > 0)
        {
            Interlocked.Add(ref _queuedRows, -rows.Length);
            Interlocked.Increment(ref _refusedWrites);
            return Task.FromException(new InvalidOperationException(
                $"Failed to enqueue journal row batch write, {QueueFullMessage} ({_options.BufferSize} elements)"));
        }

        var write = new PendingWrite(rows);
        if (!_queue.Writer.TryWrite(write))
        {
            Interlocked.Add(ref _queuedRows, -rows.Length);
            return Task.FromException(new InvalidOperationException("Failed to enqueue journal row batch write, the journal writer is stopped."));
        }

        return write.Task;
    }

    /// <summary>
    /// Takes no more writes; the writes already queued are still written. After
    /// <paramref name="drainTimeout"/> the loops stop waiting and the writes left are failed, so a
    /// stop never hangs on a database that does not answer. The task completes when every loop has ended.
    /// </summary>
    public Task StopAsync(TimeSpan drainTimeout)
    {
        if (_queue.Writer.TryComplete())
        {
            // Past the timeout the writes still queued are failed here, not by the loops: a loop may
            // be inside a database call that only its command timeout ends (SQLite waiting for a lock).
            _stopping.Token.Register(FailQueued);
            _stopping.CancelAfter(drainTimeout);
        }

        return Task.WhenAll(_loops);
    }

    private void FailQueued()
    {
        var stopped = new InvalidOperationException("The journal writer stopped before this write was stored.");
        while (_queue.Reader.TryRead(out var left))
        {
            Interlocked.Add(ref _queuedRows, -left.Rows.Length);
            left.Fail(stopped);
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingWrite>();
        RowInserter? inserter = null;
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                // Every write waiting, whole, up to batch-size rows (a write bigger than that alone).
                var rows = 0;
                while (reader.TryPeek(out var next)
                       && (batch.Count == 0 || rows + next.Rows.Length <= _options.BatchSize)
                       && reader.TryRead(out var taken))
                {
                    batch.Add(taken);
                    rows += taken.Rows.Length;
                }

                if (batch.Count == 0)
                {
                    continue;
                }

                Interlocked.Add(ref _queuedRows, -rows);
                Interlocked.Add(ref _rowsInFlight, rows);
                try
                {
                    if (inserter is null)
                    {
                        inserter = await OpenAsync(_stopping.Token).ConfigureAwait(false);
                    }

                    await inserter.WriteAsync(batch, _stopping.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref _transactions);
                    Interlocked.Add(ref _writes, batch.Count);
                    Interlocked.Add(ref _rows, rows);
                    foreach (var write in batch)
                    {
                        write.Succeed();
                    }
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref _failedTransactions);
                    // The connection may be broken or mid-transaction: the next batch opens a new one.
                    inserter?.Dispose();
                    inserter = null;
                    foreach (var write in batch)
                    {
                        write.Fail(e);
                    }
                }

                Interlocked.Add(ref _rowsInFlight, -rows);
                batch.Clear();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped past the drain timeout: the writes left are failed below.
        }
        finally
        {
            inserter?.Dispose();
            foreach (var write in batch)
            {
                write.Fail(new InvalidOperationException("The journal writer stopped before this write was stored."));
            }

            FailQueued();
        }
    }

    private async Task<RowInserter> OpenAsync(CancellationToken cancel)
    {
        RowInserter inserter = _options.Provider == JournalWriterProvider.Sqlite
            ? new SqliteRowInserter(_options, level => Interlocked.Exchange(ref _sqliteSynchronous, level))
            : new NpgsqlRowInserter(_options);
        try
        {
            await inserter.OpenAsync(cancel).ConfigureAwait(false);
        }
        catch
        {
            inserter.Dispose();
            throw;
        }

        Interlocked.Increment(ref _connectionsOpened);
        return inserter;
    }

    private sealed class PendingWrite(JournalRow[] rows)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public JournalRow[] Rows { get; } = rows;

        public Task Task => _done.Task;

        public void Succeed() => _done.TrySetResult();

        public void Fail(Exception e) => _done.TrySetException(e);
    }

    /// <summary>One connection and its prepared INSERT.</summary>
    private abstract class RowInserter : IDisposable
    {
        public abstract Task OpenAsync(CancellationToken cancel);

        /// <summary>Every row of <paramref name="batch"/> in one transaction, committed, or an exception and nothing committed.</summary>
        public abstract Task WriteAsync(List<PendingWrite> batch, CancellationToken cancel);

        public abstract void Dispose();
    }

    /// <summary>
    /// SQLite: one connection with the configured <c>PRAGMA synchronous</c>, one prepared command
    /// run synchronously per row (Microsoft.Data.Sqlite's async calls are synchronous anyway).
    /// </summary>
    private sealed class SqliteRowInserter(JournalWriterOptions options, Action<long> synchronousInEffect) : RowInserter
    {
        private readonly SqliteConnection _connection = new(options.ConnectionString);
        private SqliteCommand? _insert;
        private SqliteParameter[] _parameters = [];

        public override async Task OpenAsync(CancellationToken cancel)
        {
            await _connection.OpenAsync(cancel).ConfigureAwait(false);
            if (options.SqliteSynchronous is { } synchronous)
            {
                using var pragma = _connection.CreateCommand();
                pragma.CommandText = $"PRAGMA synchronous = {synchronous};";
                pragma.ExecuteNonQuery();
            }

            // Read back once per connection: the level this connection's commits actually run with.
            using (var check = _connection.CreateCommand())
            {
                check.CommandText = "PRAGMA synchronous;";
                synchronousInEffect(Convert.ToInt64(check.ExecuteScalar()));
            }

            var columns = options.Columns;
            _insert = _connection.CreateCommand();
            _parameters = new SqliteParameter[columns.Count];
            for (var i = 0; i < columns.Count; i++)
            {
                _parameters[i] = _insert.Parameters.Add(new SqliteParameter("$p" + i, columns[i].SqliteType));
            }

            _insert.CommandText = options.InsertSql(i => "$p" + i);
            _insert.Prepare();
        }

        public override Task WriteAsync(List<PendingWrite> batch, CancellationToken cancel)
        {
            var insert = _insert!;
            using var transaction = _connection.BeginTransaction();
            insert.Transaction = transaction;
            foreach (var write in batch)
            {
                foreach (var row in write.Rows)
                {
                    options.Bind(row, _parameters);
                    insert.ExecuteNonQuery();
                }
            }

            transaction.Commit();
            insert.Transaction = null;
            return Task.CompletedTask;
        }

        public override void Dispose()
        {
            _insert?.Dispose();
            _connection.Dispose();
        }
    }

    /// <summary>
    /// PostgreSQL: one connection, the rows of a transaction sent as one batch of the same INSERT
    /// (one round trip, the batch its own transaction), prepared by Npgsql once per connection (its automatic preparation), each
    /// batch command's parameters rebound per row.
    /// </summary>
    private sealed class NpgsqlRowInserter(JournalWriterOptions options) : RowInserter
    {
        private readonly NpgsqlConnection _connection = new(new NpgsqlConnectionStringBuilder(options.ConnectionString)
        {
            // The INSERT is the same text in every batch command: prepared on first use, reused after.
            MaxAutoPrepare = Math.Max(new NpgsqlConnectionStringBuilder(options.ConnectionString).MaxAutoPrepare, 4),
            AutoPrepareMinUsages = 1,
        }.ConnectionString);

        private readonly NpgsqlBatch _batch = new();
        private readonly List<(NpgsqlBatchCommand Command, DbParameter[] Parameters)> _commands = [];
        private string _sql = "";

        public override async Task OpenAsync(CancellationToken cancel)
        {
            await _connection.OpenAsync(cancel).ConfigureAwait(false);
            _batch.Connection = _connection;
            _batch.EnableErrorBarriers = false; // one failed row fails the whole batch (Npgsql's default, relied on)
            _sql = options.InsertSql(i => "$" + (i + 1));
        }

        public override async Task WriteAsync(List<PendingWrite> batch, CancellationToken cancel)
        {
            _batch.BatchCommands.Clear();
            var used = 0;
            foreach (var write in batch)
            {
                foreach (var row in write.Rows)
                {
                    var (command, parameters) = used < _commands.Count ? _commands[used] : NewCommand();
                    options.Bind(row, parameters);
                    _batch.BatchCommands.Add(command);
                    used++;
                }
            }

            // No BEGIN/COMMIT: a batch without an explicit transaction runs in PostgreSQL's implicit
            // transaction (one Sync at its end, error barriers off), so its rows commit together or
            // not at all, in one round trip. Inserts only: the isolation level does not matter.
            await _batch.ExecuteNonQueryAsync(cancel).ConfigureAwait(false);
        }

        private (NpgsqlBatchCommand, DbParameter[]) NewCommand()
        {
            var command = new NpgsqlBatchCommand(_sql);
            var parameters = new DbParameter[options.Columns.Count];
            for (var i = 0; i < parameters.Length; i++)
            {
                var parameter = new NpgsqlParameter { NpgsqlDbType = options.Columns[i].NpgsqlType };
                command.Parameters.Add(parameter);
                parameters[i] = parameter;
            }

            _commands.Add((command, parameters));
            return (command, parameters);
        }

        public override void Dispose()
        {
            _batch.Dispose();
            _connection.Dispose();
        }
    }
}

/// <summary>What <see cref="JournalRowWriter"/> has done so far.</summary>
/// <param name="Transactions">Transactions committed.</param>
/// <param name="Writes">Writes (one persistent actor's WriteMessages each) in them.</param>
/// <param name="Rows">Journal rows in them.</param>
/// <param name="FailedTransactions">Transactions that failed (each failed all its writes).</param>
/// <param name="ConnectionsOpened">Connections the writer loops opened (one per loop, plus one after each failure).</param>
/// <param name="QueuedRows">Rows waiting for a transaction now.</param>
/// <param name="RowsInFlight">Rows taken into a transaction that has not finished yet.</param>
/// <param name="RefusedWrites">Writes refused at once because buffer-size rows were waiting (answered OVERLOADED).</param>
/// <param name="SqliteSynchronous">SQLite: <c>PRAGMA synchronous</c> as read back on the latest connection opened (null before one, and on PostgreSQL).</param>
public sealed record JournalWriterFigures(long Transactions, long Writes, long Rows, long FailedTransactions, long ConnectionsOpened, int QueuedRows, int RowsInFlight, long RefusedWrites, long? SqliteSynchronous);

public enum JournalWriterProvider
{
    Sqlite,
    PostgreSql,
}

/// <summary>One column of the INSERT: its quoted name, its types and how its value is read from a row.</summary>
public sealed record JournalColumn(string QuotedName, SqliteType SqliteType, NpgsqlDbType NpgsqlType, Func<JournalRow, object> Value);

/// <summary>
/// Where and how <see cref="JournalRowWriter"/> writes: Akka.Persistence.Sql's table and columns
/// (from its table configuration, so the rows are the ones its own insert would write), the
/// connection string, and the group commit limits.
/// </summary>
public sealed record JournalWriterOptions(
    JournalWriterProvider Provider,
    string ConnectionString,
    string QuotedTable,
    IReadOnlyList<JournalColumn> Columns,
    int BatchSize,
    int BufferSize,
    int Connections,
    int? SqliteSynchronous)
{
    /// <summary>
    /// The columns the plugin's linq2db mapping writes (AkkaPersistenceDataConnectionFactory.MapJournalRow):
    /// every mapped column but the identity <c>ordering</c>; <c>writer_uuid</c> only when the table
    /// has it; <c>tags</c> unless tags live in the tag table only.
    /// </summary>
    public static IReadOnlyList<JournalColumn> ColumnsOf(JournalTableConfig table, TagMode tagMode)
    {
        var names = table.EventJournalTable.ColumnNames;
        var columns = new List<JournalColumn>
        {
            new(Quote(names.PersistenceId), SqliteType.Text, NpgsqlDbType.Varchar, r => r.PersistenceId),
            new(Quote(names.SequenceNumber), SqliteType.Integer, NpgsqlDbType.Bigint, r => r.SequenceNumber),
            new(Quote(names.Deleted), SqliteType.Integer, NpgsqlDbType.Boolean, r => r.Deleted),
            new(Quote(names.Created), SqliteType.Integer, NpgsqlDbType.Bigint, r => r.Timestamp),
            new(Quote(names.Manifest), SqliteType.Text, NpgsqlDbType.Varchar, r => r.Manifest),
            new(Quote(names.Message), SqliteType.Blob, NpgsqlDbType.Bytea, r => r.Message),
            new(Quote(names.Identifier), SqliteType.Integer, NpgsqlDbType.Integer, r => r.Identifier is { } id ? id : DBNull.Value),
        };

        if (table.EventJournalTable.UseWriterUuidColumn)
        {
            columns.Add(new(Quote(names.WriterUuid), SqliteType.Text, NpgsqlDbType.Varchar, r => (object?)r.WriterUuid ?? DBNull.Value));
        }

        if (tagMode != TagMode.TagTable)
        {
            columns.Add(new(Quote(names.Tags), SqliteType.Text, NpgsqlDbType.Varchar, r => (object?)r.Tags ?? DBNull.Value));
        }

        return columns;
    }

    /// <summary>The table as linq2db names it: schema-qualified when a schema is configured.</summary>
    public static string TableOf(JournalTableConfig table) =>
        table.SchemaName is { Length: > 0 } schema
            ? $"{Quote(schema)}.{Quote(table.EventJournalTable.Name)}"
            : Quote(table.EventJournalTable.Name);

    /// <summary>A quoted identifier, as both SQLite and PostgreSQL read it (the case is kept).</summary>
    public static string Quote(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    /// <summary>The INSERT, with <paramref name="placeholder"/> naming the i-th parameter.</summary>
    public string InsertSql(Func<int, string> placeholder) =>
        $"INSERT INTO {QuotedTable} ({string.Join(", ", Columns.Select(c => c.QuotedName))}) " +
        $"VALUES ({string.Join(", ", Columns.Select((_, i) => placeholder(i)))})";

    /// <summary>Sets the parameters, in column order, to <paramref name="row"/>'s values.</summary>
    public void Bind(JournalRow row, DbParameter[] parameters)
    {
        for (var i = 0; i < parameters.Length; i++)
        {
            parameters[i].Value = Columns[i].Value(row);
        }
    }
}
