using System.Collections.Concurrent;
using AkkaChat.Node.Auth;

namespace AkkaChat.Node.Tests.Support;

/// <summary>An SMS sender that keeps the last code sent to each phone.</summary>
internal sealed class CapturingSmsSender : ISmsSender
{
    private readonly ConcurrentDictionary<string, string> _codes = new();

    public void SendCode(string phone, string code, TimeSpan validFor) => _codes[phone] = code;

    public string LastCodeFor(string phone) =>
        _codes.TryGetValue(phone, out var code) ? code : throw new InvalidOperationException($"no code was sent to {phone}");
}
