using System.Net.Sockets;
using AkkaChat.Client;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;

namespace AkkaChat.Cli;

/// <summary>
/// A logged-in user on one node of a <see cref="ServerList"/>. With one server the SDK's own
/// reconnect keeps the session (same node, backoff). With several, a dropped connection moves the
/// session to the next node in the list: the client is replaced by one logged in there (each node in
/// turn, with backoff, until one answers). Events continue from the new node (items not yet
/// acknowledged come again, so the item being handled when the node went away may show twice);
/// a send in flight is retried there under the same client_msg_id, which the node answers with its
/// first SEND_ACK. The SDK (ClientOptions) takes one host, so the list is handled here.
/// </summary>
public sealed class ChatSession : IAsyncDisposable
{
    private readonly ServerList _servers;
    private readonly Credentials _credentials;
    private readonly Func<ServerAddress, ClientOptions> _options;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly object _gate = new();
    private AkkaChatClient _client = null!;
    private int _index;
    private TaskCompletionSource _switched = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource _current = new();

    private ChatSession(ServerList servers, Credentials credentials, Func<ServerAddress, ClientOptions> options)
    {
        _servers = servers;
        _credentials = credentials;
        _options = options;
    }

    /// <summary>The node logged in to now.</summary>
    public ServerAddress Server => _servers[_index];

    public LoginResult Login { get; private set; } = null!;

    /// <summary>Connection changes, as the SDK reports them, and <see cref="ConnectionState.Reconnecting"/> when moving to another node.</summary>
    public event Action<ConnectionState, ServerAddress>? StateChanged;

    /// <summary>Logs in to the first server of the list that answers; the error of the last one if none does.</summary>
    public static async Task<ChatSession> LoginAsync(ServerList servers, Credentials credentials, Func<ServerAddress, ClientOptions> options, Action<ServerAddress> trying, CancellationToken ct)
    {
        var session = new ChatSession(servers, credentials, options);
        for (var i = 0; ; i++)
        {
            session._index = i;
            trying(servers[i]);
            try
            {
                await session.ConnectAsync(ct);
                return session;
            }
            catch (Exception e) when (IsUnreachable(e) && i + 1 < servers.Count)
            {
                // try the next node
            }
        }
    }

    private async Task ConnectAsync(CancellationToken ct)
    {
        var client = new AkkaChatClient(_options(Server));
        try
        {
            Login = await client.LoginAsync(_credentials, ct);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }

        lock (_gate)
        {
            _client = client;
            _current = new CancellationTokenSource();
        }

        var server = Server;
        client.StateChanged += state =>
        {
            if (state == ConnectionState.Reconnecting && _servers.Count > 1)
            {
                _ = MoveOnAsync(client);
            }
            else
            {
                StateChanged?.Invoke(state, server);
            }
        };
    }

    private static bool IsUnreachable(Exception e) =>
        e is SocketException or IOException or TimeoutException or ObjectDisposedException ||
        (e is AkkaChatException { Code: ErrorCode.Overloaded });

    /// <summary>The connection to the current node dropped: log in to the next ones in turn until one answers.</summary>
    private async Task MoveOnAsync(AkkaChatClient lost)
    {
        TaskCompletionSource switched;
        lock (_gate)
        {
            if (!ReferenceEquals(lost, _client))
            {
                return;
            }

            switched = _switched;
            _current.Cancel();
        }

        StateChanged?.Invoke(ConnectionState.Reconnecting, Server);
        await lost.DisposeAsync();
        var delay = TimeSpan.FromMilliseconds(250);
        while (!_lifetime.IsCancellationRequested)
        {
            _index++;
            try
            {
                await ConnectAsync(_lifetime.Token);
                lock (_gate)
                {
                    _switched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                StateChanged?.Invoke(ConnectionState.Ready, Server);
                switched.TrySetResult();
                return;
            }
            catch (Exception e) when (IsUnreachable(e))
            {
                if (_index % _servers.Count == 0)
                {
                    await Task.Delay(delay, _lifetime.Token).ConfigureAwait(false); // every node tried: back off
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                switched.TrySetException(e); // AUTH_FAILED, ...: the session is over
                return;
            }
        }
    }

    private (AkkaChatClient Client, CancellationToken Lost, Task Switched) Current()
    {
        lock (_gate)
        {
            return (_client, _current.Token, _switched.Task);
        }
    }

    /// <summary>Events from whichever node the session is on; ends when <paramref name="ct"/> is cancelled or the session ends.</summary>
    public async IAsyncEnumerable<ChatEvent> ReadEventsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        while (true)
        {
            var (client, lost, switched) = Current();
            using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, lost);
            var events = client.ReadEventsAsync(both.Token).GetAsyncEnumerator(both.Token);
            try
            {
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await events.MoveNextAsync();
                    }
                    catch (Exception e) when (!ct.IsCancellationRequested && (lost.IsCancellationRequested || e is ObjectDisposedException))
                    {
                        break;
                    }

                    if (!more)
                    {
                        if (!lost.IsCancellationRequested)
                        {
                            yield break;
                        }

                        break;
                    }

                    yield return events.Current;
                }
            }
            finally
            {
                try
                {
                    await events.DisposeAsync();
                }
                catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException)
                {
                }
            }

            await switched.WaitAsync(ct);
        }
    }

    /// <summary>Sends, retrying on the next node (same client_msg_id) when the current one is left mid-send.</summary>
    public async Task<SendAck> SendTextAsync(string to, string text, string clientMsgId, CancellationToken ct)
    {
        while (true)
        {
            var (client, lost, switched) = Current();
            try
            {
                using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, lost);
                return await client.SendTextAsync(to, text, clientMsgId, both.Token);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && (lost.IsCancellationRequested || e is ObjectDisposedException) && _servers.Count > 1)
            {
                await switched.WaitAsync(ct);
            }
        }
    }

    /// <summary>Sends a message of any kind (a medium by its media_id), retrying on the next node like <see cref="SendTextAsync"/>.</summary>
    public async Task<SendAck> SendAsync(string to, MessageKind kind, ReadOnlyMemory<byte> body, string? mediaId, string clientMsgId, CancellationToken ct)
    {
        while (true)
        {
            var (client, lost, switched) = Current();
            try
            {
                using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, lost);
                return await client.SendAsync(to, kind, body, mediaId, clientMsgId, both.Token);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && (lost.IsCancellationRequested || e is ObjectDisposedException) && _servers.Count > 1)
            {
                await switched.WaitAsync(ct);
            }
        }
    }

    /// <summary>A group request (create, get, add...), made again on the next node when the current one is left mid-request.</summary>
    public async Task<GroupChanged> GroupRequestAsync(Func<AkkaChatClient, CancellationToken, Task<GroupChanged>> request, CancellationToken ct)
    {
        while (true)
        {
            var (client, lost, switched) = Current();
            try
            {
                using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, lost);
                return await request(client, both.Token);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && (lost.IsCancellationRequested || e is ObjectDisposedException) && _servers.Count > 1)
            {
                await switched.WaitAsync(ct);
            }
        }
    }

    /// <summary>Any other request of the client (safety numbers, ...), made again on the next node like <see cref="GroupRequestAsync"/>.</summary>
    public async Task<T> RequestAsync<T>(Func<AkkaChatClient, CancellationToken, Task<T>> request, CancellationToken ct)
    {
        while (true)
        {
            var (client, lost, switched) = Current();
            try
            {
                using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, lost);
                return await request(client, both.Token);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && (lost.IsCancellationRequested || e is ObjectDisposedException) && _servers.Count > 1)
            {
                await switched.WaitAsync(ct);
            }
        }
    }

    public async Task MarkReadAsync(string from, IEnumerable<string> serverMsgIds, CancellationToken ct)
    {
        var (client, _, _) = Current();
        try
        {
            await client.MarkReadAsync(from, serverMsgIds, ct);
        }
        catch (ObjectDisposedException)
        {
            // moved to another node: the peer's receipt waits for the next time it is shown
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync();
        var (client, _, _) = Current();
        await client.DisposeAsync();
    }
}
