using Akka.Configuration;
using AkkaChat.Node.Configuration;

namespace AkkaChat.Node.Groups;

/// <summary>Settings of the groups module, from <c>akkachat.groups</c> (keys documented in hocon/akkachat.conf).</summary>
public sealed record GroupSettings(
    int MaxMembers,
    int DedupWindow,
    TimeSpan ResendInterval,
    TimeSpan ProgressJournalDelay,
    int SnapshotAfter,
    TimeSpan PassivateAfter,
    TimeSpan RetentionMaxAge)
{
    public static GroupSettings Create(Config config)
    {
        var c = config.GetConfig("akkachat") ?? throw new ConfigurationException("missing 'akkachat' section");
        return new GroupSettings(
            AkkaChatSettings.Positive(c, "groups.max-members"),
            AkkaChatSettings.Positive(c, "groups.dedup-window"),
            AkkaChatSettings.PositiveTime(c, "groups.resend-interval"),
            AkkaChatSettings.NotNegativeTime(c, "groups.progress-journal-delay"),
            AkkaChatSettings.Positive(c, "groups.snapshot-after"),
            AkkaChatSettings.PositiveTime(c, "groups.passivate-after"),
            AkkaChatSettings.PositiveTime(c, "retention.max-age"));
    }
}
