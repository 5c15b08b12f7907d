using Akka.Configuration;
using AkkaChat.Node.Configuration;

namespace AkkaChat.Node.Statuses;

/// <summary>Settings of the status module, from <c>akkachat.status</c> (documented in hocon/akkachat.conf).</summary>
/// <param name="Ttl">How long after posting a status is delivered (expires_at_ms = posted_at_ms + this); 24 h by the protocol.</param>
/// <param name="CacheSize">Statuses each node keeps in memory for pushing.</param>
/// <param name="FanoutTimeout">How long a STATUS_POST waits for every contact's queue to store it before answering ERROR{INTERNAL}.</param>
/// <param name="CleanupInterval">How often the node deletes expired statuses from the status table.</param>
public sealed record StatusSettings(TimeSpan Ttl, int CacheSize, TimeSpan FanoutTimeout, TimeSpan CleanupInterval)
{
    public static StatusSettings Create(Config config)
    {
        var c = config.GetConfig("akkachat") ?? throw new ConfigurationException("missing 'akkachat' section");
        return new StatusSettings(
            AkkaChatSettings.PositiveTime(c, "status.ttl"),
            AkkaChatSettings.Positive(c, "status.cache-size"),
            AkkaChatSettings.PositiveTime(c, "status.fanout-timeout"),
            AkkaChatSettings.PositiveTime(c, "status.cleanup-interval"));
    }
}
