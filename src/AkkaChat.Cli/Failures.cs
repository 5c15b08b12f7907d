using System.Net.Sockets;
using AkkaChat.Client;
using AkkaChat.Protocol;

namespace AkkaChat.Cli;

/// <summary>Turns what went wrong into the one line <c>akkachat</c> prints, and its exit code.</summary>
public static class Failures
{
    public static (string Message, int ExitCode) Describe(Exception error, ServerAddress? server) => error switch
    {
        CliException e => (e.Message, e.ExitCode),
        AkkaChat.Client.Encryption.SafetyNumberChangedException e =>
            ($"the safety number with {e.Peer} changed (a new device, or someone in between): it is now {AkkaChat.Client.Encryption.SafetyNumber.Format(e.SafetyNumber)}; compare it with {e.Peer} in person, then accept it with 'akkachat verify {e.Peer} --accept'", ExitCodes.Failure),
        AkkaChatException e => (Describe(e), e.Code == ErrorCode.BadRequest ? ExitCodes.Usage : ExitCodes.Failure),
        SocketException e when e.SocketErrorCode is SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData =>
            ($"cannot resolve server '{server?.Host}'", ExitCodes.Failure),
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } =>
            ($"cannot connect to {server}: connection refused (is the node running?)", ExitCodes.Failure),
        SocketException e => ($"cannot connect to {server}: {e.Message}", ExitCodes.Failure),
        TimeoutException e => (e.Message, ExitCodes.Failure),
        IOException e => ($"connection to {server} lost: {e.Message}", ExitCodes.Failure),
        _ => ($"{error.GetType().Name}: {error.Message}", ExitCodes.Failure),
    };

    private static string Describe(AkkaChatException e) => e.Code switch
    {
        ErrorCode.AuthFailed => $"authentication failed: {e.Message}",
        ErrorCode.NotFound => $"not found: {e.Message}",
        ErrorCode.BadRequest => $"bad request: {e.Message}",
        ErrorCode.RateLimited => $"rate limited: {e.Message}; try again later",
        ErrorCode.TooLarge => $"too large: {e.Message}",
        ErrorCode.Replaced => "logged in elsewhere: a newer login of this user ended this session",
        ErrorCode.Overloaded => $"the server is overloaded: {e.Message}",
        _ => $"{e.Code}: {e.Message}",
    };
}
