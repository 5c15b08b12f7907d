using Akka.Configuration;
using AkkaChat.Node.Configuration;

namespace AkkaChat.Node.Web;

/// <summary>
/// Settings of the web port (the <c>akkachat.web</c> section) and of media (<c>akkachat.media</c>),
/// built once and validated. Every key is documented in hocon/akkachat.conf.
/// </summary>
public sealed record WebSettings
{
    public required bool Enabled { get; init; }
    public required string Host { get; init; }

    /// <summary>0 picks a free port (tests); the bound address is logged.</summary>
    public required int Port { get; init; }

    /// <summary>How long a WebSocket close handshake may take before the socket is aborted.</summary>
    public required TimeSpan CloseTimeout { get; init; }

    /// <summary>How long the web port waits for the node's actors (akkachat.web.ask-timeout).</summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long /readyz waits for the journal's database (akkachat.web.readiness-database-timeout).</summary>
    public TimeSpan ReadinessDatabaseTimeout { get; init; } = TimeSpan.FromSeconds(3);

    public required long MediaMaxBytes { get; init; }
    public required TimeSpan MediaMaxAge { get; init; }
    public required TimeSpan MediaSweepInterval { get; init; }
    public required MediaStoreKind MediaStore { get; init; }
    public required int MediaChunkBytes { get; init; }

    public static WebSettings Create(Config config, AkkaChatSettings node)
    {
        var c = config.GetConfig("akkachat") ?? throw new ConfigurationException("missing 'akkachat' section");
        var port = AkkaChatSettings.Read(c, "web.port", static (s, p) => s.GetInt(p));
        if (port is < 0 or > 65535)
        {
            throw new ConfigurationException($"akkachat.web.port must be 0..65535, is {port}");
        }

        var maxBytes = AkkaChatSettings.Read(c, "media.max-bytes", static (s, p) => s.GetByteSize(p)) ?? 0;
        if (maxBytes <= 0)
        {
            throw new ConfigurationException($"akkachat.media.max-bytes must be positive, is {maxBytes}");
        }

        var chunk = AkkaChatSettings.Read(c, "media.chunk-bytes", static (s, p) => s.GetByteSize(p)) ?? 0;
        if (chunk is < 4096 or > 16 * 1024 * 1024)
        {
            throw new ConfigurationException($"akkachat.media.chunk-bytes must be 4k..16m, is {chunk}");
        }

        var store = c.GetString("media.store")?.ToLowerInvariant() switch
        {
            "auto" => node.Storage == StorageProvider.PostgreSql ? MediaStoreKind.PostgreSql : MediaStoreKind.Files,
            "files" => MediaStoreKind.Files,
            "postgresql" when node.Storage == StorageProvider.PostgreSql => MediaStoreKind.PostgreSql,
            "postgresql" => throw new ConfigurationException("akkachat.media.store = postgresql needs akkachat.storage.provider = postgresql"),
            var other => throw new ConfigurationException($"akkachat.media.store: '{other}' is not auto, files or postgresql"),
        };

        var host = c.GetString("web.host");
        return new WebSettings
        {
            Enabled = AkkaChatSettings.Read(c, "web.enabled", static (s, p) => s.GetBoolean(p)),
            Host = string.IsNullOrWhiteSpace(host) ? throw new ConfigurationException("akkachat.web.host is empty") : host,
            Port = port,
            CloseTimeout = AkkaChatSettings.PositiveTime(c, "web.close-timeout"),
            AskTimeout = AkkaChatSettings.PositiveTime(c, "web.ask-timeout"),
            ReadinessDatabaseTimeout = AkkaChatSettings.PositiveTime(c, "web.readiness-database-timeout"),
            MediaMaxBytes = maxBytes,
            MediaMaxAge = AkkaChatSettings.PositiveTime(c, "media.max-age"),
            MediaSweepInterval = AkkaChatSettings.PositiveTime(c, "media.sweep-interval"),
            MediaStore = store,
            MediaChunkBytes = (int)chunk,
        };
    }
}

public enum MediaStoreKind
{
    /// <summary>Files under akkachat.storage.data-dir/media: one node.</summary>
    Files,

    /// <summary>Chunked rows in the shared PostgreSQL database: every node of a cluster serves every medium.</summary>
    PostgreSql,
}
