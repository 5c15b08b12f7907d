using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.TestKit;

/// <summary>
/// A registered user of a <see cref="ChatCluster"/> or <see cref="ProcessCluster"/> that behaves like a careful client across
/// failures: when its connection drops or times out it logs in again on a running node, resends
/// every unacknowledged SEND under the same client_msg_id, and drops duplicate DELIVERs by
/// server_msg_id. It records what it saw, so tests can assert that nothing acknowledged was lost.
/// </summary>
public sealed class ChatUser : IAsyncDisposable
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan LoginTimeout = TimeSpan.FromSeconds(30);

    private readonly IChatNodes _cluster;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private ProtocolClient? _client;
    private ByteString _token = ByteString.Empty;

    private ChatUser(IChatNodes cluster, string phone)
    {
        _cluster = cluster;
        Phone = phone;
    }

    public string Phone { get; }

    /// <summary>The node the user is connected to now, if any.</summary>
    public IChatNode? Node { get; private set; }

    /// <summary>The node hosting this user's queue, as the last AUTH_OK named it.</summary>
    public string HomeNode { get; private set; } = string.Empty;

    /// <summary>Distinct messages received, in the order they first arrived.</summary>
    public List<Deliver> Received { get; } = new();

    /// <summary>How many times the connection was lost and made again.</summary>
    public int Reconnects { get; private set; }

    public static async Task<ChatUser> RegisterAsync(IChatNodes cluster, string phone, IChatNode? on = null)
    {
        var user = new ChatUser(cluster, phone);
        var node = on ?? cluster.RunningNodes.First();
        var client = await node.ConnectAsync();
        var ok = await client.RegisterAsync(phone);
        user._token = ok.Token;
        user.HomeNode = ok.Node;
        user._client = client;
        user.Node = node;
        return user;
    }

    /// <summary>Connects and logs in, preferring <paramref name="preferred"/>, else any running node.</summary>
    public async Task ConnectAsync(IChatNode? preferred = null, TimeSpan? deadline = null)
    {
        await DisconnectAsync();
        var until = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var candidates = (preferred is { IsRunning: true } ? [preferred] : Array.Empty<IChatNode>())
                .Concat(_cluster.RunningNodes.Where(n => n != preferred)).ToList();
            foreach (var node in candidates)
            {
                try
                {
                    var client = await node.ConnectAsync();
                    await client.SendAsync(new AuthLogin { Phone = Phone, Token = _token });
                    // Generous: a login abandoned too early may still win later and replace the next one.
                    var answer = await client.ReadFrameAsync(LoginTimeout);
                    if (answer?.Message is AuthOk ok)
                    {
                        HomeNode = ok.Node;
                        _client = client;
                        Node = node;
                        return;
                    }

                    await client.DisposeAsync();
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException)
                {
                    // that node is going away; try the next
                }
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"{Phone} could not log in on any node\n{_cluster.Report()}");
            }

            await Task.Delay(200);
        }
    }

    public async Task DisconnectAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
            _client = null;
            Node = null;
        }
    }

    /// <summary>
    /// Sends until SEND_ACK arrives, reconnecting and resending under the same client_msg_id as
    /// often as needed before <paramref name="deadline"/>. Frames other than the SEND_ACK (receipts,
    /// deliveries) are recorded or acknowledged on the way.
    /// </summary>
    public async Task<SendAck> SendReliablyAsync(string to, string clientMsgId, string text, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(90));
        var send = new Send { ClientMsgId = clientMsgId, To = to, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8(text) };
        while (true)
        {
            try
            {
                if (_client is null)
                {
                    await ReconnectAsync(until);
                }

                await _client!.SendAsync(send);
                while (true)
                {
                    var frame = await _client.ReadFrameAsync(AnswerTimeout) ?? throw new IOException("connection closed");
                    switch (frame.Message)
                    {
                        case SendAck ack when ack.ClientMsgId == clientMsgId:
                            return ack;
                        case Error { ErrorCode: ErrorCode.NotFound or ErrorCode.BadRequest or ErrorCode.TooLarge } error when error.Ref == clientMsgId:
                            throw new ProtocolExpectationException($"SEND {clientMsgId} refused: {error}");
                        case Error error when error.ErrorCode is ErrorCode.Replaced or ErrorCode.AuthFailed:
                            throw new ProtocolExpectationException($"{Phone}: {error}");
                        case Deliver deliver:
                            await RecordAsync(deliver);
                            break;
                    }
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException && DateTime.UtcNow < until)
            {
                await DisconnectAsync(); // resend on a fresh connection
            }
        }
    }

    /// <summary>Receives and acknowledges until <paramref name="done"/> holds, reconnecting as needed.</summary>
    public async Task ReceiveUntilAsync(Func<ChatUser, bool> done, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(90));
        while (!done(this))
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"{Phone}: received {Received.Count} distinct messages, not done by the deadline\n{_cluster.Report()}");
            }

            try
            {
                if (_client is null)
                {
                    await ReconnectAsync(until);
                }

                var frame = await _client!.ReadFrameAsync(AnswerTimeout) ?? throw new IOException("connection closed");
                if (frame.Message is Deliver deliver)
                {
                    await RecordAsync(deliver);
                }
            }
            catch (TimeoutException)
            {
                // nothing pending right now; check the condition again
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
                await DisconnectAsync();
            }
        }
    }

    private async Task RecordAsync(Deliver deliver)
    {
        if (_seen.Add(deliver.ServerMsgId))
        {
            Received.Add(deliver);
        }

        await _client!.SendAsync(new Ack { UpToSeq = deliver.Seq });
    }

    private async Task ReconnectAsync(DateTime until)
    {
        Reconnects++;
        await ConnectAsync(Node, until - DateTime.UtcNow);
    }

    public ValueTask DisposeAsync() => new(DisconnectAsync());
}
