using Akka.Configuration;
using AkkaChat.Node.Configuration;

namespace AkkaChat.Node.Presence;

/// <summary>Settings of the presence module, from <c>akkachat.presence</c> (documented in hocon/akkachat.conf).</summary>
/// <param name="ForgetAfter">How long the presence entity of a user who is offline and unwatched stays in memory, remembering last seen.</param>
/// <param name="RecordedChatsCache">Pairs of users with a chat each node remembers having recorded, so that later messages of a pair write nothing.</param>
public sealed record PresenceSettings(TimeSpan ForgetAfter, int RecordedChatsCache)
{
    public static PresenceSettings Create(Config config)
    {
        var c = config.GetConfig("akkachat") ?? throw new ConfigurationException("missing 'akkachat' section");
        return new PresenceSettings(
            AkkaChatSettings.PositiveTime(c, "presence.forget-after"),
            AkkaChatSettings.Positive(c, "presence.recorded-chats-cache"));
    }
}
