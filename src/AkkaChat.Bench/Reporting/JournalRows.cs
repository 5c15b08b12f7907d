using Microsoft.Data.Sqlite;

namespace AkkaChat.Bench.Reporting;

/// <summary>
/// Counts the rows of a node's SQLite journal (Akka.Persistence.Sql's <c>journal</c> table), opened
/// read-only so the bench can never write to the node's data: the soak's measure of what the journal
/// keeps growing to.
/// </summary>
public static class JournalRows
{
    /// <summary>The journal's row count, or null when the file or its table is not (yet) there or is busy.</summary>
    public static long? Count(string file)
    {
        if (!File.Exists(file))
        {
            return null;
        }

        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM journal";
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (SqliteException)
        {
            return null; // no journal table yet, or the database is locked past the default timeout
        }
    }
}
