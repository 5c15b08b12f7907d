using Microsoft.Extensions.Logging;

namespace AkkaChat.Node.Auth;

/// <summary>Hands a registration code to the user's phone. Implementations must not block.</summary>
public interface ISmsSender
{
    void SendCode(string phone, string code, TimeSpan validFor);
}

/// <summary>The built-in sender: writes the code to the node's log (there is no SMS gateway).</summary>
public sealed class LoggingSmsSender(ILogger<LoggingSmsSender> logger) : ISmsSender
{
    public void SendCode(string phone, string code, TimeSpan validFor) =>
        logger.LogInformation("Registration code for {Phone}: {Code} (valid {ValidFor})", phone, code, validFor);
}
