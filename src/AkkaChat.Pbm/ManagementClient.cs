using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace AkkaChat.Pbm;

/// <summary>One connection to a management host: the hello it sent, and requests run one at a time.</summary>
internal sealed class ManagementClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly StreamReader _reader;
    private readonly Stream _stream;
    private readonly string? _token;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private long _nextId;

    private ManagementClient(TcpClient tcp, string? token, HostMessage hello)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = new StreamReader(_stream, new UTF8Encoding(false));
        _token = token;
        Hello = hello;
    }

    public HostMessage Hello { get; private set; }

    public IReadOnlyList<Palette> Palettes => Hello.Palettes ?? [];

    public static async Task<ManagementClient> ConnectAsync(HostAddress address, string? token, CancellationToken cancel)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(address.Host, address.Port, cancel);
            var client = new ManagementClient(tcp, token, null!);
            client.Hello = await client.ReadAsync(cancel) is { Type: "hello" } hello
                ? hello
                : throw new PbmException($"{address} did not greet as a management host", ExitCodes.Unavailable);
            return client;
        }
        catch (SocketException e)
        {
            tcp.Dispose();
            throw new PbmException($"cannot reach the management host at {address}: {e.Message}", ExitCodes.Unavailable);
        }
    }

    /// <summary>Runs one command; each output line goes to <paramref name="onLine"/>. Cancelling asks the host to stop (a tail).</summary>
    public async Task<HostMessage> RunAsync(IReadOnlyList<string> words, Action<string> onLine, CancellationToken cancel)
    {
        var id = ++_nextId;
        await SendAsync(new Request("request", id, _token, words), CancellationToken.None);
        await using var registration = cancel.Register(() => _ = SendAsync(new Request("cancel", id, null, null), CancellationToken.None));
        while (true)
        {
            var message = await ReadAsync(CancellationToken.None)
                ?? throw new PbmException("the management host closed the connection", ExitCodes.Unavailable);
            if (message.Id != id)
            {
                continue;
            }

            if (message.Type == "line")
            {
                onLine(message.Text ?? string.Empty);
            }
            else if (message.Type == "end")
            {
                return message;
            }
        }
    }

    private async Task SendAsync(Request request, CancellationToken cancel)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(request, Wire.Json);
        await _writeGate.WaitAsync(cancel);
        try
        {
            await _stream.WriteAsync(bytes, cancel);
            _stream.WriteByte((byte)'\n');
            await _stream.FlushAsync(cancel);
        }
        catch (IOException)
        {
            // the host is gone; the reader reports it
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task<HostMessage?> ReadAsync(CancellationToken cancel)
    {
        try
        {
            var line = await _reader.ReadLineAsync(cancel);
            return line is null ? null : JsonSerializer.Deserialize<HostMessage>(line, Wire.Json);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}

internal sealed class PbmException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

internal static class ExitCodes
{
    public const int Ok = 0;
    public const int CommandFailed = 1;
    public const int Usage = 2;
    public const int Unavailable = 3;
}
