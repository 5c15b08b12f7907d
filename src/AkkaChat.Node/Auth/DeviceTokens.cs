using System.Security.Cryptography;

namespace AkkaChat.Node.Auth;

/// <summary>Device tokens: 32 random bytes handed to the client once; the node keeps only SHA-256.</summary>
public static class DeviceTokens
{
    public const int TokenBytes = 32;

    public static byte[] NewToken() => RandomNumberGenerator.GetBytes(TokenBytes);

    public static byte[] Hash(ReadOnlySpan<byte> token) => SHA256.HashData(token);
}
