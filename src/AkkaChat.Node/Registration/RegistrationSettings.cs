using Akka.Configuration;
using AkkaChat.Node.Configuration;

namespace AkkaChat.Node.Registration;

/// <summary>
/// Settings of the registration module, from <c>akkachat.auth</c> (codes and device tokens) and
/// <c>akkachat.registration</c> (code request limits); keys documented in hocon/akkachat.conf.
/// </summary>
/// <param name="RevealCodes">auth.reveal-codes: the code goes in AUTH_CODE_SENT.dev_code (development and tests only).</param>
/// <param name="CodeTtl">auth.code-ttl: how long a registration code is valid.</param>
/// <param name="CodeMaxTries">auth.code-max-tries: wrong tries before a code is void.</param>
/// <param name="MaxDeviceTokens">auth.max-device-tokens: tokens kept per user, the newest win.</param>
/// <param name="CodeRequests">registration.code-requests-*: AUTH_REQUEST_CODE limits per phone and per source address.</param>
public sealed record RegistrationSettings(bool RevealCodes, TimeSpan CodeTtl, int CodeMaxTries, int MaxDeviceTokens, CodeRequestLimits CodeRequests)
{
    /// <param name="config">The node's whole config (the <c>akkachat</c> section is read from it).</param>
    public static RegistrationSettings Create(Config config) =>
        FromSection(config.GetConfig("akkachat") ?? throw new ConfigurationException("missing 'akkachat' section"));

    /// <summary>From the <c>akkachat</c> section itself, as <see cref="AkkaChatSettings.Create"/> reads it once for every record it composes.</summary>
    internal static RegistrationSettings FromSection(Config c)
    {
        return new RegistrationSettings(
            AkkaChatSettings.Read(c, "auth.reveal-codes", static (section, path) => section.GetBoolean(path)),
            AkkaChatSettings.PositiveTime(c, "auth.code-ttl"),
            AkkaChatSettings.Positive(c, "auth.code-max-tries"),
            AkkaChatSettings.Positive(c, "auth.max-device-tokens"),
            new CodeRequestLimits(
                AkkaChatSettings.Positive(c, "registration.code-requests-per-phone-burst"),
                AkkaChatSettings.PositiveTime(c, "registration.code-requests-per-phone-interval"),
                AkkaChatSettings.Positive(c, "registration.code-requests-per-address-burst"),
                AkkaChatSettings.PositiveTime(c, "registration.code-requests-per-address-interval")));
    }
}
