namespace AkkaChat.Protocol.Tests;

internal static class Hex
{
    /// <summary>Bytes from hex digits written in groups, e.g. <c>"01 04 00 02"</c>.</summary>
    public static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
}
