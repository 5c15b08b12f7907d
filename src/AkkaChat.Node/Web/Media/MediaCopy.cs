using System.Buffers;

namespace AkkaChat.Node.Web.Media;

/// <summary>Media ids: 16 random bytes, base64url without padding (22 characters).</summary>
public static class MediaIds
{
    public const int Length = 22;

    public static string New() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Only ids of this shape reach a store: they are safe as file names and keys.</summary>
    public static bool IsValid(string id) =>
        id.Length == Length && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}

internal static class MediaCopy
{
    /// <summary>
    /// Copies <paramref name="source"/> to its end through one pooled buffer; throws
    /// <see cref="MediaTooLargeException"/> as soon as more than <paramref name="maxBytes"/> arrived.
    /// </summary>
    public static async Task<long> CopyLimitedAsync(Stream source, Stream target, long maxBytes, int bufferBytes, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(bufferBytes);
        try
        {
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, bufferBytes), cancellationToken)) > 0)
            {
                total += read;
                if (total > maxBytes)
                {
                    throw new MediaTooLargeException(maxBytes);
                }

                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="source"/> unless it ends first; returns the bytes read.</summary>
    public static async Task<int> FillAsync(Stream source, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await source.ReadAsync(buffer[filled..], cancellationToken)) > 0)
        {
            filled += read;
        }

        return filled;
    }
}
