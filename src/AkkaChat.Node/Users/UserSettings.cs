using Akka.Configuration;
using AkkaChat.Node.Configuration;

namespace AkkaChat.Node.Users;

/// <summary>Settings of the user entity's actor itself, from <c>akkachat.users</c> (keys documented in hocon/akkachat.conf).</summary>
/// <param name="PassivateAfter">users.passivate-after: idle time before a user actor without a session stops.</param>
/// <param name="PassivateLoggedIn">users.passivate-logged-in: passivate also while an idle session is attached.</param>
/// <param name="StatusReadRetry">users.status-read-retry: wait before reading a status body again after a failed read.</param>
public sealed record UserSettings(TimeSpan PassivateAfter, bool PassivateLoggedIn, TimeSpan StatusReadRetry)
{
    /// <param name="config">The node's whole config (the <c>akkachat</c> section is read from it).</param>
    public static UserSettings Create(Config config) =>
        FromSection(config.GetConfig("akkachat") ?? throw new ConfigurationException("missing 'akkachat' section"));

    /// <summary>From the <c>akkachat</c> section itself, as <see cref="AkkaChatSettings.Create"/> reads it once for every record it composes.</summary>
    internal static UserSettings FromSection(Config c)
    {
        return new UserSettings(
            AkkaChatSettings.PositiveTime(c, "users.passivate-after"),
            c.GetBoolean("users.passivate-logged-in", false),
            AkkaChatSettings.PositiveTime(c, "users.status-read-retry"));
    }
}
