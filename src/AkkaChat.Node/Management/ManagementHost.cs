using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.Logging;

namespace AkkaChat.Node.Management;

/// <summary>
/// The management host: a TCP listener speaking <see cref="ManagementProtocol"/>. Each connection
/// gets the hello, then runs requests one at a time; every request is authenticated (when a token is
/// configured) and logged with its outcome. A connection is a pair of tasks: one reads (requests and
/// cancels), the running command writes.
/// </summary>
public sealed class ManagementHost : IAsyncDisposable
{
    private readonly ManagementContext _context;
    private readonly IReadOnlyList<IPalette> _palettes;
    private readonly ILogger _log;
    private readonly System.Net.Sockets.TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _accepting;

    public ManagementHost(ManagementContext context, IReadOnlyList<IPalette> palettes, ILogger log)
    {
        _context = context;
        _palettes = palettes;
        _log = log;
        _listener = new System.Net.Sockets.TcpListener(IPAddress.Parse(context.Management.Host), context.Management.Port);
    }

    public IPEndPoint LocalEndpoint => (IPEndPoint)_listener.LocalEndpoint;

    public void Start()
    {
        try
        {
            _listener.Start();
        }
        catch (SocketException e)
        {
            throw new InvalidOperationException(
                $"the management host cannot listen on {_context.Management.Host}:{_context.Management.Port} ({e.Message}); " +
                "set akkachat.management.port (0 picks a free port) or akkachat.management.enabled = off", e);
        }

        _log.LogInformation("Management host listening on {Endpoint} ({Auth})", LocalEndpoint, _context.Management.Token is null ? "no token" : "token required");
        _accepting = AcceptAsync();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private HelloMessage Hello()
    {
        var cluster = Cluster.Get(_context.System);
        return new HelloMessage(_context.Settings.NodeName, cluster.SelfAddress.ToString(), ManagementProtocol.Version, _context.Management.Token is not null, _palettes.Select(p => p.Spec).ToList());
    }

    private async Task ServeAsync(TcpClient client)
    {
        var remote = client.Client.RemoteEndPoint?.ToString() ?? "?";
        using var _ = client;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var stream = client.GetStream();
        var writeGate = new SemaphoreSlim(1, 1);
        async Task Send(object message)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), ManagementProtocol.Json);
            await writeGate.WaitAsync(cancel.Token);
            try
            {
                await stream.WriteAsync(bytes, cancel.Token);
                stream.WriteByte((byte)'\n');
                await stream.FlushAsync(cancel.Token);
            }
            finally
            {
                writeGate.Release();
            }
        }

        try
        {
            await Send(Hello());
            var reader = new LineReader(stream);
            Task running = Task.CompletedTask;
            CancellationTokenSource? current = null;
            long currentId = -1;
            while (await reader.ReadLineAsync(cancel.Token) is { } line)
            {
                var message = JsonSerializer.Deserialize<ClientMessage>(line, ManagementProtocol.Json)
                    ?? throw new JsonException("empty message");
                if (message.Type == "cancel")
                {
                    if (message.Id == currentId)
                    {
                        current?.Cancel();
                    }

                    continue;
                }

                if (message.Type != "request")
                {
                    throw new JsonException($"unknown message type '{message.Type}'");
                }

                await running; // one request at a time
                if (!Authorized(message.Token))
                {
                    _log.LogWarning("Management: refused a command from {Remote}: wrong or missing token", remote);
                    await Send(new EndMessage(message.Id, false, "unauthorized: wrong or missing token"));
                    return;
                }

                current?.Dispose();
                current = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token);
                currentId = message.Id;
                running = RunAsync(message, remote, Send, current.Token);
            }

            current?.Cancel();
            await running;
        }
        catch (Exception e) when (e is IOException or JsonException or OperationCanceledException or SocketException or InvalidDataException)
        {
            if (e is JsonException or InvalidDataException)
            {
                _log.LogWarning("Management: closing the connection from {Remote}: {Reason}", remote, e.Message);
            }
        }
    }

    private async Task RunAsync(ClientMessage request, string remote, Func<object, Task> send, CancellationToken cancel)
    {
        var words = request.Command ?? [];
        var text = string.Join(' ', words);
        try
        {
            var parsed = CommandParser.Parse(words, _palettes.Select(p => p.Spec));
            _log.LogInformation("Management: {Remote} runs '{Command}'", remote, text);
            var palette = _palettes.Single(p => p.Spec.Name == parsed.Palette);
            await palette.RunAsync(parsed, line => send(new LineMessage(request.Id, line)), cancel);
            await send(new EndMessage(request.Id, true, null));
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested && !_stopping.IsCancellationRequested)
        {
            await send(new EndMessage(request.Id, true, null)); // a tail, stopped by the client
        }
        catch (Exception e) when (e is CommandException or AskTimeoutException or TimeoutException or ActorNotFoundException)
        {
            _log.LogWarning("Management: '{Command}' from {Remote} failed: {Reason}", text, remote, e.Message);
            await send(new EndMessage(request.Id, false, e.Message));
        }
        catch (Exception e) when (e is not IOException and not OperationCanceledException)
        {
            _log.LogError(e, "Management: '{Command}' from {Remote} failed", text, remote);
            await send(new EndMessage(request.Id, false, $"{e.GetType().Name}: {e.Message}"));
        }
    }

    private bool Authorized(string? token)
    {
        var expected = _context.Management.Token;
        if (expected is null)
        {
            return true;
        }

        return token is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(expected));
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        if (_accepting is not null)
        {
            await _accepting;
        }
    }

    /// <summary>Reads '\n'-terminated UTF-8 lines, refusing one longer than <see cref="ManagementProtocol.MaxLineBytes"/>.</summary>
    private sealed class LineReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[ManagementProtocol.MaxLineBytes];
        private int _start;
        private int _end;

        public async Task<string?> ReadLineAsync(CancellationToken cancel)
        {
            while (true)
            {
                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline >= 0)
                {
                    var line = Encoding.UTF8.GetString(_buffer, _start, newline - _start).TrimEnd('\r');
                    _start = newline + 1;
                    return line;
                }

                if (_start > 0)
                {
                    Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }

                if (_end == _buffer.Length)
                {
                    throw new InvalidDataException($"a line longer than {ManagementProtocol.MaxLineBytes} bytes");
                }

                var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancel);
                if (read == 0)
                {
                    return null;
                }

                _end += read;
            }
        }
    }
}
