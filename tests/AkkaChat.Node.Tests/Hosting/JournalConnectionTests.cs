using AkkaChat.Node.Configuration;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Tests.Support;
using LinqToDB.Data;
using LinqToDB.DataProvider.SQLite;
using Xunit;

namespace AkkaChat.Node.Tests.Hosting;

/// <summary>The journal's SQLite connections and the SQL journal carry akkachat.storage.journal and .sqlite.</summary>
public sealed class JournalConnectionTests
{
    [Theory]
    [InlineData("off", 0)]
    [InlineData("normal", 1)]
    [InlineData("full", 2)]
    [InlineData("extra", 3)]
    public void Journal_connection_on_sqlite_runs_with_the_configured_synchronous_level(string level, long expected)
    {
        using var dir = new TempDirectory();
        var settings = TestSettings.Create(TestSettings.Quoted("akkachat.storage.data-dir", dir.Path), $"akkachat.storage.sqlite.synchronous = {level}");
        AkkaChatHostingExtensions.PrepareSqlite(settings);

        using var connection = new DataConnection(NodeConfig.JournalOptions(settings).DataOptions!);
        var synchronous = connection.Execute<long>("PRAGMA synchronous;");
        var journalMode = connection.Execute<string>("PRAGMA journal_mode;");

        Assert.Equal(expected, synchronous);
        Assert.Equal("wal", journalMode);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Fact]
    public void Unknown_synchronous_level_is_refused_with_its_key()
    {
        var e = Assert.Throws<Akka.Configuration.ConfigurationException>(() => TestSettings.Create("akkachat.storage.sqlite.synchronous = sometimes"));
        Assert.Contains("akkachat.storage.sqlite.synchronous", e.Message);
    }

    [Fact]
    public void Journal_group_commit_settings_reach_the_sql_journal()
    {
        var settings = TestSettings.Create("akkachat.storage.journal.batch-size = 777", "akkachat.storage.journal.buffer-size = 8888");
        var akka = NodeConfig.AkkaConfig(settings);

        Assert.Equal(777, akka.GetInt("akka.persistence.journal.sql.batch-size"));
        Assert.Equal(8888, akka.GetInt("akka.persistence.journal.sql.buffer-size"));
        Assert.Equal(1, akka.GetInt("akka.persistence.journal.sql.parallelism")); // SQLite: one writer
        Assert.Equal(SqliteSynchronous.Normal, settings.Journal.SqliteSynchronous);
    }

    [Theory]
    [InlineData("multi-row", false, 100)]
    [InlineData("multi-row-parameters", true, 100)]
    [InlineData("row-by-row", false, 0)]
    public void Journal_insert_setting_reaches_the_sql_journal(string insert, bool parameters, int maxRowByRowSize)
    {
        var settings = TestSettings.Create($"akkachat.storage.journal.insert = {insert}");
        var akka = NodeConfig.AkkaConfig(settings);

        Assert.Equal(parameters, akka.GetBoolean("akka.persistence.journal.sql.prefer-parameters-on-multirow-insert"));
        Assert.Equal(maxRowByRowSize, akka.GetInt("akka.persistence.journal.sql.max-row-by-row-size"));
    }

    [Fact]
    public void Prepared_insert_is_the_default_and_makes_the_node_journal_the_sql_journal_class()
    {
        var defaults = TestSettings.Create();
        var akka = NodeConfig.AkkaConfig(TestSettings.Create("akkachat.storage.sqlite.synchronous = full"));
        var stock = NodeConfig.AkkaConfig(TestSettings.Create("akkachat.storage.journal.insert = multi-row"));

        Assert.Equal(JournalInsert.Prepared, defaults.Journal.Insert);
        Assert.Equal(typeof(AkkaChat.Node.Storage.PreparedSqlWriteJournal), Type.GetType(akka.GetString("akka.persistence.journal.sql.class"), throwOnError: true));
        Assert.Equal(2, akka.GetInt("akka.persistence.journal.sql.akkachat-sqlite-synchronous"));
        Assert.Equal(typeof(Akka.Persistence.Sql.Journal.SqlWriteJournal), Type.GetType(stock.GetString("akka.persistence.journal.sql.class"), throwOnError: true));
    }

    [Fact]
    public void Row_by_row_insert_makes_row_by_row_the_sqlite_bulk_copy_of_the_journal_connections()
    {
        var settings = TestSettings.Create("akkachat.storage.journal.insert = row-by-row");
        var options = NodeConfig.JournalOptions(settings).DataOptions!;

        Assert.Equal(BulkCopyType.RowByRow, options.FindOrDefault(SQLiteOptions.Default).BulkCopyType);
    }

    [Fact]
    public void Unknown_journal_insert_is_refused_with_its_key()
    {
        var e = Assert.Throws<Akka.Configuration.ConfigurationException>(() => TestSettings.Create("akkachat.storage.journal.insert = sometimes"));
        Assert.Contains("akkachat.storage.journal.insert", e.Message);
    }
}
