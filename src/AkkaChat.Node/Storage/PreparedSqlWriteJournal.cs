using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Journal;
using Akka.Persistence.Sql.Journal.Dao;
using Akka.Persistence.Sql.Journal.Types;

namespace AkkaChat.Node.Storage;

/// <summary>
/// Akka.Persistence.Sql's journal with its write path replaced (akkachat.storage.journal.insert =
/// prepared): events are serialized by the plugin's own <see cref="ByteArrayJournalSerializer"/>
/// into its <see cref="JournalRow"/>s and written by a <see cref="JournalRowWriter"/> (held
/// connections, one prepared INSERT rebound per row, group commit) into the plugin's table, with
/// the columns its own insert fills. Replay, highest sequence number, deletes, table creation and
/// the read journal are the plugin's: the stock plugin recovers what this one writes, and back.
/// <para>Rows carrying tags while tags live in the tag table go through the plugin's own path
/// (it needs each row's ordering id for the tag rows); the node tags no event today.</para>
/// <para>Extra keys in the plugin's section (written by <c>NodeConfig.JournalTuning</c>):
/// <c>akkachat-sqlite-synchronous</c>, SQLite's <c>PRAGMA synchronous</c> level on every
/// connection the writer opens (absent: left at SQLite's default).</para>
/// </summary>
public class PreparedSqlWriteJournal : SqlWriteJournal
{
    /// <summary>How long a stopping journal lets its writer finish the writes already queued before failing them.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly JournalRowWriter _writer;
    private readonly ByteArrayJournalSerializer _serializer;
    private readonly TagMode _tagMode;

    // The latest write of each persistence id still in flight: a later write of the id waits for
    // it (order), and ReadHighestSequenceNrAsync awaits it. Entries are removed by their own
    // completion, only if still the latest.
    private readonly ConcurrentDictionary<string, Task> _inFlight = new();

    public PreparedSqlWriteJournal(Akka.Configuration.Config journalConfig)
        : base(journalConfig)
    {
        var config = journalConfig.WithFallback(SqlPersistence.DefaultJournalConfiguration);
        var settings = new JournalConfig(config);
        _tagMode = settings.PluginConfig.TagMode;
        var provider = settings.ProviderName.Contains("sqlite", StringComparison.OrdinalIgnoreCase)
            ? JournalWriterProvider.Sqlite
            : settings.ProviderName.StartsWith("PostgreSQL", StringComparison.OrdinalIgnoreCase)
                ? JournalWriterProvider.PostgreSql
                : throw new NotSupportedException($"{nameof(PreparedSqlWriteJournal)} writes to SQLite or PostgreSQL, not '{settings.ProviderName}'");
        if (settings.TableConfig.UseEventManifestColumn)
        {
            throw new NotSupportedException($"{nameof(PreparedSqlWriteJournal)} does not write the event manifest column");
        }

        var synchronous = config.HasPath("akkachat-sqlite-synchronous") ? config.GetInt("akkachat-sqlite-synchronous") : (int?)null;
        var connections = provider == JournalWriterProvider.Sqlite ? 1 : Math.Max(1, settings.DaoConfig.Parallelism); // SQLite has one writer
        _writer = new JournalRowWriter(new JournalWriterOptions(
            provider,
            settings.ConnectionString,
            JournalWriterOptions.TableOf(settings.TableConfig),
            JournalWriterOptions.ColumnsOf(settings.TableConfig, _tagMode),
            settings.DaoConfig.BatchSize,
            settings.DaoConfig.BufferSize,
            connections,
            provider == JournalWriterProvider.Sqlite ? synchronous : null));

        var writerUuid = settings.TableConfig.EventJournalTable.UseWriterUuidColumn ? Guid.NewGuid().ToString("N") : null;
        _serializer = new ByteArrayJournalSerializer(settings, Context.System.Serialization, settings.PluginConfig.TagSeparator, writerUuid);
        Logging.GetLogger(Context).Info(
            "Journal write path: prepared INSERT on {0} held connection(s), group commit of up to {1} rows, at most {2} rows waiting",
            connections, settings.DaoConfig.BatchSize, settings.DaoConfig.BufferSize);
    }

    /// <summary>Asks a <see cref="PreparedSqlWriteJournal"/> for its writer's <see cref="JournalWriterFigures"/>.</summary>
    public sealed class GetFigures
    {
        public static readonly GetFigures Instance = new();

        private GetFigures()
        {
        }
    }

    protected override bool ReceivePluginInternal(object message)
    {
        if (message is GetFigures)
        {
            Sender.Tell(_writer.Figures, Self);
            return true;
        }

        return base.ReceivePluginInternal(message);
    }

    // The cancellation token is the journal's circuit breaker giving up on the call: a write already
    // queued is still written (it cannot be taken out of a transaction in progress), the breaker
    // reports the failure to the actor either way.
    protected override Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var writes = messages as IReadOnlyList<AtomicWrite> ?? messages.ToList();
        if (writes.Count == 0)
        {
            return Task.FromResult<IImmutableList<Exception>>(null!);
        }

        // The timestamp the plugin gives a row whose event carries none.
        var serialized = _serializer.Serialize(writes, DateTime.UtcNow.Ticks);
        var rows = new List<JournalRow>();
        var rejected = false;
        foreach (var attempt in serialized)
        {
            if (attempt.IsSuccess)
            {
                rows.AddRange(attempt.Success.Value);
            }
            else
            {
                rejected = true;
            }
        }

        if (_tagMode != TagMode.Csv && rows.Exists(r => r.TagArray.Length > 0))
        {
            return base.WriteMessagesAsync(writes, cancellationToken);
        }

        if (rows.Count == 0)
        {
            // Every write was rejected by its serializer: nothing to store.
            return Task.FromResult<IImmutableList<Exception>>(serialized.Select(t => t.IsSuccess ? null! : t.Failure.Value).ToImmutableList());
        }

        var persistenceId = writes[0].PersistenceId;
        var rowArray = rows.ToArray();
        var previous = _inFlight.TryGetValue(persistenceId, out var p) && !p.IsCompleted ? p : null;
        var written = previous is null ? _writer.WriteAsync(rowArray) : AfterAsync(previous, rowArray);
        _inFlight[persistenceId] = written;
        written.ContinueWith(
            (done, state) => _inFlight.TryRemove(new KeyValuePair<string, Task>((string)state!, done)),
            persistenceId,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        return rejected ? WithRejectionsAsync(written, serialized) : AllWrittenAsync(written);
    }

    /// <summary>Queues <paramref name="rows"/> once the earlier write of their id has finished (either way).</summary>
    private async Task AfterAsync(Task previous, JournalRow[] rows)
    {
        try
        {
            await previous.ConfigureAwait(false);
        }
        catch
        {
            // Only its end matters here; its own sender is told how it went.
        }

        await _writer.WriteAsync(rows).ConfigureAwait(false);
    }

    private static async Task<IImmutableList<Exception>> AllWrittenAsync(Task written)
    {
        await written.ConfigureAwait(false);
        return null!; // Akka.Persistence: null means every write succeeded
    }

    /// <summary>Writes whose events did not serialize are rejected (WriteMessageRejected), the others stored.</summary>
    private static async Task<IImmutableList<Exception>> WithRejectionsAsync(Task written, List<Akka.Util.Try<JournalRow[]>> serialized)
    {
        await written.ConfigureAwait(false);
        return serialized.Select(t => t.IsSuccess ? null! : t.Failure.Value).ToImmutableList();
    }

    public override async Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken)
    {
        if (_inFlight.TryGetValue(persistenceId, out var pending))
        {
            try
            {
                await pending.ConfigureAwait(false);
            }
            catch
            {
                // Whether it succeeded does not matter, only that it has finished.
            }
        }

        return await base.ReadHighestSequenceNrAsync(persistenceId, fromSequenceNr, cancellationToken).ConfigureAwait(false);
    }

    protected override void PostStop()
    {
        base.PostStop();
        // Queued writes are still written (up to DrainTimeout), then failed: never left pending.
        _ = _writer.StopAsync(DrainTimeout);
    }
}
