using Akka.Configuration;
using Akka.Persistence.Sql;
using AkkaChat.Node.Configuration;

namespace AkkaChat.Node.Hosting;

/// <summary>
/// Builds the node's configuration: the --config file (if any) over the embedded reference.conf,
/// then the Akka settings derived from the akkachat section (storage, serializer, cluster).
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

    /// <summary>Akka configuration that follows from the node's settings.</summary>
    public static Config AkkaConfig(AkkaChatSettings settings)
    {
        var (provider, connectionString, parallelism) = settings.Storage switch
        {
            // SQLite allows one writer at a time: one journal writer, batching many events per write.
            StorageProvider.Sqlite => ("SQLite.MS", $"Data Source={SqliteFile(settings)};Pooling=True", 1),
            _ => ("PostgreSQL.15", settings.StorageConnectionString, 3),
        };
        var quoted = Quote(connectionString);
        var hocon = $$"""
            akka {
              actor {
                provider = cluster
                serializers.akkachat = "AkkaChat.Node.Serialization.ChatSerializer, AkkaChat.Node"
                serialization-bindings {
                  "Google.Protobuf.IMessage, Google.Protobuf" = akkachat
                }
                serialization-identifiers {
                  "AkkaChat.Node.Serialization.ChatSerializer, AkkaChat.Node" = {{Serialization.ChatSerializer.Id}}
                }
              }
              persistence {
                journal {
                  plugin = "akka.persistence.journal.sql"
                  sql {
                    connection-string = {{quoted}}
                    provider-name = "{{provider}}"
                    parallelism = {{parallelism}}
                    auto-initialize = on
                  }
                }
                snapshot-store {
                  plugin = "akka.persistence.snapshot-store.sql"
                  sql {
                    connection-string = {{quoted}}
                    provider-name = "{{provider}}"
                    auto-initialize = on
                  }
                }
              }
            }
            """;
        return ConfigurationFactory.ParseString(hocon).WithFallback(SqlPersistence.DefaultConfiguration);
    }

    /// <summary>
    /// A node that joins other nodes (seed nodes configured) must share their journal: a user's
    /// queue moves between nodes with its shard. SQLite is a local file, so it is refused there.
    /// </summary>
    public static void ValidateCluster(Config config, AkkaChatSettings settings)
    {
        var seeds = config.GetStringList("akka.cluster.seed-nodes");
        if (seeds.Count > 0 && settings.Storage == StorageProvider.Sqlite)
        {
            throw new ConfigurationException(
                "akka.cluster.seed-nodes is set, but akkachat.storage.provider = sqlite: the nodes of a cluster must share " +
                "one journal. Set akkachat.storage.provider = postgresql and akkachat.storage.connection-string " +
                "(scripts/start-postgres.sh starts a local server).");
        }
    }

    public static string SqliteFile(AkkaChatSettings settings) => Path.Combine(Path.GetFullPath(settings.DataDir), "akkachat.db");

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
