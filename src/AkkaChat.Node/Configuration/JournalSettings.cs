using Akka.Configuration;

namespace AkkaChat.Node.Configuration;

/// <summary>
/// How the journal writes (akkachat.storage.journal and akkachat.storage.sqlite): the group commit
/// of Akka.Persistence.Sql and the durability SQLite gives a commit. See docs/performance.md.
/// </summary>
/// <param name="BatchSize">Journal rows written in one transaction at most: the events of many users share one commit.</param>
/// <param name="BufferSize">Rows waiting for a transaction at most; past it a write fails (the sender gets no SEND_ACK).</param>
/// <param name="RoundTripBatchSize">Rows in one multi-row INSERT statement at most.</param>
/// <param name="Parallelism">Transactions in flight at once on PostgreSQL (SQLite has one writer: always 1).</param>
/// <param name="SqliteSynchronous">SQLite's PRAGMA synchronous on every journal connection.</param>
/// <param name="Insert">Which write path the journal takes: the node's prepared INSERT, or one of Akka.Persistence.Sql's own.</param>
public sealed record JournalSettings(int BatchSize, int BufferSize, int RoundTripBatchSize, int Parallelism, SqliteSynchronous SqliteSynchronous, JournalInsert Insert)
{
    public static JournalSettings Create(Config akkachat) => new(
        AkkaChatSettings.Positive(akkachat, "storage.journal.batch-size"),
        AkkaChatSettings.Positive(akkachat, "storage.journal.buffer-size"),
        AkkaChatSettings.Positive(akkachat, "storage.journal.db-round-trip-max-batch-size"),
        AkkaChatSettings.Positive(akkachat, "storage.journal.parallelism"),
        akkachat.GetString("storage.sqlite.synchronous")?.ToLowerInvariant() switch
        {
            "off" => SqliteSynchronous.Off,
            "normal" => SqliteSynchronous.Normal,
            "full" => SqliteSynchronous.Full,
            "extra" => SqliteSynchronous.Extra,
            var other => throw new ConfigurationException($"akkachat.storage.sqlite.synchronous: '{other}' is not off, normal, full or extra"),
        },
        akkachat.GetString("storage.journal.insert")?.ToLowerInvariant() switch
        {
            "prepared" => JournalInsert.Prepared,
            "multi-row" => JournalInsert.MultiRow,
            "multi-row-parameters" => JournalInsert.MultiRowParameters,
            "row-by-row" => JournalInsert.RowByRow,
            var other => throw new ConfigurationException($"akkachat.storage.journal.insert: '{other}' is not prepared, multi-row, multi-row-parameters or row-by-row"),
        });

    /// <summary>The defaults of hocon/akkachat.conf, for settings built in code.</summary>
    public static JournalSettings Default { get; } = new(1000, 50_000, 1000, 3, SqliteSynchronous.Normal, JournalInsert.Prepared);
}

/// <summary>
/// How the journal writes its rows. The rows themselves (table, columns, serialized bytes) are the
/// same in each: any of them recovers what another wrote.
/// </summary>
public enum JournalInsert
{
    /// <summary>
    /// The node's write path (<c>Storage.PreparedSqlWriteJournal</c>): held connections, one
    /// prepared INSERT whose parameters are rebound per row, every waiting write in one transaction.
    /// </summary>
    Prepared,

    // The three below are Akka.Persistence.Sql's own path, which writes a transaction of one row
    // with linq2db's cached INSERT (its SQL rebuilt on every call) and of more rows as follows.

    /// <summary>One multi-row INSERT per transaction with every value rendered into its SQL text (the plugin's default).</summary>
    MultiRow,

    /// <summary>One multi-row INSERT per transaction with the values bound as parameters.</summary>
    MultiRowParameters,

    /// <summary>One INSERT per row from linq2db's cached statement, all in the one transaction.</summary>
    RowByRow,
}

/// <summary>
/// SQLite's <c>synchronous</c> levels in write-ahead-log mode. A commit is in the WAL file (the
/// operating system's cache) before the call returns at every level, so a killed process loses
/// nothing committed; they differ in what survives a power loss or a kernel crash.
/// </summary>
public enum SqliteSynchronous
{
    /// <summary>Never fsync: a power loss may lose recent commits and corrupt the database file.</summary>
    Off = 0,

    /// <summary>fsync the WAL at checkpoints only: a power loss may roll back the most recent commits; the file stays consistent.</summary>
    Normal = 1,

    /// <summary>fsync the WAL at every commit: a commit survives a power loss.</summary>
    Full = 2,

    /// <summary>As full, and fsync the directory too.</summary>
    Extra = 3,
}
