using System.Buffers;
using System.Runtime.CompilerServices;
using AkkaChat.Protocol;
using Google.Protobuf;

namespace AkkaChat.Conformance.Serve;

/// <summary>
/// One client connection of the scripted server: frames in through the shared
/// <see cref="FrameReader"/>, frames out whole or, when <c>splitEveryByte</c>, one flushed byte at a
/// time. Only the connection's own handler writes, so writes need no lock.
/// </summary>
internal sealed class ServedConnection(Stream stream, bool splitEveryByte, CancellationToken stop)
{
    /// <summary>The logged-in phone; null before login.</summary>
    public string? Phone { get; set; }

    public async IAsyncEnumerable<Frame> ReadFramesAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        var buffer = new byte[FrameLayout.MaxFrameSize * 2];
        var filled = 0;
        while (true)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(filled), stop);
            if (n == 0)
            {
                yield break;
            }

            filled += n;
            var sequence = new ReadOnlySequence<byte>(buffer, 0, filled);
            var frames = new List<Frame>();
            while (FrameReader.TryRead(ref sequence, out var frame))
            {
                frames.Add(frame);
            }

            var consumed = filled - (int)sequence.Length;
            Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
            filled -= consumed;
            foreach (var frame in frames)
            {
                yield return frame;
            }
        }
    }

    public Task WriteAsync(IMessage message) => WriteBytesAsync(FrameWriter.ToBytes(message));

    public Task WriteRawAsync(byte type, byte[] payload)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteRaw(writer, FrameLayout.Version, type, payload);
        return WriteBytesAsync(writer.WrittenSpan.ToArray());
    }

    public async Task TryWriteAsync(IMessage message)
    {
        try
        {
            await WriteAsync(message);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // the client is gone already
        }
    }

    private async Task WriteBytesAsync(byte[] bytes)
    {
        if (!splitEveryByte)
        {
            await stream.WriteAsync(bytes, stop);
            await stream.FlushAsync(stop);
            return;
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            await stream.WriteAsync(bytes.AsMemory(i, 1), stop);
            await stream.FlushAsync(stop);
        }
    }
}
