using System.Data.Common;
using Akka.Configuration;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Hosting;
using LinqToDB;
using LinqToDB.Data;
using LinqToDB.DataProvider.PostgreSQL;
using LinqToDB.DataProvider.SQLite;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Storage;

namespace AkkaChat.Node.Hosting;

/// <summary>
/// Builds the node's configuration: the --config file (if any) over the embedded reference.conf,
/// then the Akka settings derived from the akkachat section that no Akka.Hosting extension carries.
/// </summary>
public static class NodeConfig
{
    public static Config ReferenceConfig { get; } = LoadReference();

    private static Config LoadReference()
    {
        using var stream = typeof(NodeConfig).Assembly.GetManifestResourceStream("AkkaChat.Node.reference.conf")
            ?? throw new InvalidOperationException("reference.conf is not embedded in AkkaChat.Node");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>The user's file (or nothing) layered over reference.conf, and the override lines over both (last wins).</summary>
    public static Config Load(string? configFile, IEnumerable<string> overrides)
    {
        var config = ReferenceConfig;
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new ConfigurationException($"config file '{Path.GetFullPath(configFile)}' does not exist");
            }

            config = ConfigurationFactory.ParseString(File.ReadAllText(configFile)).WithFallback(config);
        }

        // Each line goes on top of everything before it, so the last one for a key wins.
        foreach (var line in overrides)
        {
            config = ConfigurationFactory.ParseString(line).WithFallback(config);
        }

        return config;
    }

    /// <summary>
    /// The journal's group commit and connection handling, which Akka.Persistence.Sql.Hosting's
    /// options do not carry: HOCON under akka.persistence, used by the hosted node and by
    /// <see cref="AkkaConfig"/> alike.
    /// </summary>
    public static Config JournalTuning(AkkaChatSettings settings)
    {
        var journal = settings.Journal;
        // SQLite allows one writer at a time: one transaction in flight, many events in it.
        var parallelism = settings.Storage == StorageProvider.Sqlite ? 1 : journal.Parallelism;
        var hocon = $$"""
            akka.persistence {
              # A fresh linq2db DataConnection per write from the plugin's one DataOptions (shared
              # MappingSchema) instead of a Clone() of a template connection: in linq2db 6 a clone
              # builds its own options and mapping caches, which made every journal write allocate
              # about 40% more (docs/performance.md, "gen2 churn"). Same transactions, same rows.
              journal.sql {
                use-clone-connection = off
                parallelism = {{parallelism}}
                batch-size = {{journal.BatchSize}}
                buffer-size = {{journal.BufferSize}}
                db-round-trip-max-batch-size = {{journal.RoundTripBatchSize}}
                prefer-parameters-on-multirow-insert = {{(journal.Insert == JournalInsert.MultiRowParameters ? "on" : "off")}}
                {{(journal.Insert == JournalInsert.RowByRow ? RowByRowHocon : "")}}
                {{(journal.Insert == JournalInsert.Prepared ? PreparedHocon(settings) : "")}}
              }
              snapshot-store.sql.use-clone-connection = off
              query.journal.sql.use-clone-connection = off
            }
            """;
        return ConfigurationFactory.ParseString(hocon);
    }

    /// <summary>
    /// The whole Akka configuration of the node for an actor system built from config alone (as
    /// tests do): what the hosted node gets from its Akka.Hosting extensions (remoting and cluster
    /// from <see cref="ClusterHostingExtensions.ClusterConfig"/>, the serializers, the journal and
    /// snapshot store of <see cref="JournalOptions"/> and <see cref="SnapshotOptions"/>) rendered
    /// as HOCON, plus <see cref="JournalTuning"/>. The hosted node registers the journal through
    /// <c>WithSqlPersistence</c>, which also applies SQLite's pragmas to every connection.
    /// </summary>
    public static Config AkkaConfig(AkkaChatSettings settings) =>
        ConfigurationFactory.ParseString("akka.actor.provider = cluster")
            .WithFallback(ClusterHostingExtensions.SerializersConfig())
            .WithFallback(ClusterHostingExtensions.ClusterConfig(settings.Cluster))
            .WithFallback(JournalTuning(settings))
            .WithFallback(JournalOptions(settings).ToConfig())
            .WithFallback(SnapshotOptions(settings).ToConfig())
            .WithFallback(SqlPersistence.DefaultConfiguration);

    // The plugin writes a transaction of more rows than max-row-by-row-size with the provider's
    // default bulk copy type; at 0 that is every transaction of two rows or more, and DataOptions
    // makes the provider's default RowByRow (akkachat.storage.journal.insert = row-by-row).
    private const string RowByRowHocon = "max-row-by-row-size = 0";

    // akkachat.storage.journal.insert = prepared: the plugin's journal with the node's write path
    // (Storage.PreparedSqlWriteJournal), which opens its own connections and so sets SQLite's
    // synchronous level on them itself (the DataOptions below reach only the plugin's connections).
    private static string PreparedHocon(AkkaChatSettings settings) =>
        $"class = \"{typeof(PreparedSqlWriteJournal).FullName}, {typeof(PreparedSqlWriteJournal).Assembly.GetName().Name}\"\n" +
        (settings.Storage == StorageProvider.Sqlite ? $"akkachat-sqlite-synchronous = {(int)settings.Journal.SqliteSynchronous}" : "");

    /// <summary>The journal: Akka.Persistence.Sql on the node's database, tables created at start.</summary>
    public static SqlJournalOptions JournalOptions(AkkaChatSettings settings)
    {
        var (provider, connectionString) = Database(settings);
        return new SqlJournalOptions(isDefaultPlugin: true)
        {
            ConnectionString = connectionString,
            ProviderName = provider,
            DataOptions = DataOptions(settings, provider, connectionString),
            AutoInitialize = true,
        };
    }

    /// <summary>The snapshot store, in the same database as the journal.</summary>
    public static SqlSnapshotOptions SnapshotOptions(AkkaChatSettings settings)
    {
        var (provider, connectionString) = Database(settings);
        return new SqlSnapshotOptions(isDefaultPlugin: true)
        {
            ConnectionString = connectionString,
            ProviderName = provider,
            DataOptions = DataOptions(settings, provider, connectionString),
            AutoInitialize = true,
        };
    }

    private static (string Provider, string ConnectionString) Database(AkkaChatSettings settings) => settings.Storage switch
    {
        StorageProvider.Sqlite => (ProviderName.SQLiteMS, $"Data Source={SqliteFile(settings)};Pooling=True"),
        _ => (ProviderName.PostgreSQL15, settings.StorageConnectionString),
    };

    /// <summary>
    /// linq2db options of the journal's connections. On SQLite every opened connection first sets
    /// <c>PRAGMA synchronous</c> (a per-connection setting; WAL mode is kept in the file itself).
    /// </summary>
    private static DataOptions DataOptions(AkkaChatSettings settings, string provider, string connectionString)
    {
        var options = new DataOptions().UseConnectionString(provider, connectionString);
        if (settings.Journal.Insert == JournalInsert.RowByRow)
        {
            options = settings.Storage == StorageProvider.Sqlite
                ? options.WithOptions<SQLiteOptions>(o => o with { BulkCopyType = BulkCopyType.RowByRow })
                : options.WithOptions<PostgreSQLOptions>(o => o with { BulkCopyType = BulkCopyType.RowByRow });
        }

        if (settings.Storage != StorageProvider.Sqlite)
        {
            return options;
        }

        var pragma = $"PRAGMA synchronous = {(int)settings.Journal.SqliteSynchronous};";
        return options.UseAfterConnectionOpened(
            connection => SetPragma(connection, pragma),
            (connection, token) => SetPragmaAsync(connection, pragma, token));
    }

    private static void SetPragma(DbConnection connection, string pragma)
    {
        using var command = connection.CreateCommand();
        command.CommandText = pragma;
        command.ExecuteNonQuery();
    }

    private static async Task SetPragmaAsync(DbConnection connection, string pragma, CancellationToken token)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = pragma;
        await command.ExecuteNonQueryAsync(token);
    }

    /// <summary>
    /// A node that joins other nodes (seed nodes configured) must share their journal: a user's
    /// queue moves between nodes with its shard. SQLite is a local file, so it is refused there.
    /// </summary>
    public static void ValidateCluster(AkkaChatSettings settings)
    {
        if (settings.Cluster.SeedNodes.Count > 0 && settings.Storage == StorageProvider.Sqlite)
        {
            throw new ConfigurationException(
                "akkachat.cluster.seed-nodes is set, but akkachat.storage.provider = sqlite: the nodes of a cluster must share " +
                "one journal. Set akkachat.storage.provider = postgresql and akkachat.storage.connection-string " +
                "(scripts/start-postgres.sh starts a local server).");
        }
    }

    public static string SqliteFile(AkkaChatSettings settings) => Path.Combine(Path.GetFullPath(settings.DataDir), "akkachat.db");
}
