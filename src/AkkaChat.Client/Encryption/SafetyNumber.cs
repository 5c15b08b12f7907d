using System.Security.Cryptography;
using System.Text;

namespace AkkaChat.Client.Encryption;

/// <summary>
/// The number two users compare to know that no one stands between them. It follows Signal's
/// numeric fingerprint (version 0), over AkkaChat's 64-byte identity encoding:
/// <code>
/// fingerprint(phone, identity): h = SHA-512(0x00 0x00 || identity || UTF-8(phone))
///                               5,200 times: h = SHA-512(h || identity)
///                               the first 30 bytes of h, as six 5-byte big-endian numbers, each mod 100,000 as 5 digits
/// safety number = the two 30-digit fingerprints in ascending order, concatenated (60 digits)
/// </code>
/// Both users compute the same number; it changes when either identity key changes.
/// </summary>
public static class SafetyNumber
{
    public const int Iterations = 5200;

    /// <summary>The 60-digit safety number of two users and their identities (the order of the arguments does not matter).</summary>
    public static string Compute(string phoneA, IdentityKey identityA, string phoneB, IdentityKey identityB)
    {
        var a = Fingerprint(phoneA, identityA);
        var b = Fingerprint(phoneB, identityB);
        return string.CompareOrdinal(a, b) <= 0 ? a + b : b + a;
    }

    /// <summary>The number in twelve groups of five digits, as apps display it.</summary>
    public static string Format(string safetyNumber) =>
        string.Join(' ', Enumerable.Range(0, safetyNumber.Length / 5).Select(i => safetyNumber.Substring(i * 5, 5)));

    /// <summary>One user's 30-digit half of the safety number.</summary>
    public static string Fingerprint(string phone, IdentityKey identity)
    {
        var key = identity.ToByteArray();
        var hash = SHA512.HashData([0x00, 0x00, .. key, .. Encoding.UTF8.GetBytes(phone)]);
        for (var i = 0; i < Iterations; i++)
            hash = SHA512.HashData([.. hash, .. key]);
        var digits = new StringBuilder(30);
        for (var chunk = 0; chunk < 6; chunk++)
        {
            ulong value = 0;
            for (var i = 0; i < 5; i++) value = (value << 8) | hash[chunk * 5 + i];
            digits.Append((value % 100_000).ToString("D5", System.Globalization.CultureInfo.InvariantCulture));
        }
        return digits.ToString();
    }
}
