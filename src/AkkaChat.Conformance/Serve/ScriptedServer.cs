using System.Buffers;
using System.Net;
using System.Net.Sockets;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Conformance.Serve;

/// <summary>
/// A small server that speaks PROTOCOL.md and misbehaves the way its <see cref="ServeScript"/> says.
/// It keeps one queue per phone (scripted DELIVERs, then receipts) and records what the client did:
/// connections, logins, ACKs, SENDs and READs, in <see cref="Log"/>.
/// </summary>
public sealed class ScriptedServer : IAsyncDisposable
{
    public const string Code = "123456";
    public const string Peer = "+15550000001";

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<string>? _echo;
    private readonly List<string> _log = new();
    private readonly Dictionary<string, UserQueue> _queues = new();
    private readonly List<Task> _connections = new();
    private Task _accepting = Task.CompletedTask;
    private int _connectionCount;
    private int _loginCount;

    private ScriptedServer(ServeScript script, int port, Action<string>? echo)
    {
        Script = script;
        _echo = echo;
        _listener = new TcpListener(IPAddress.Loopback, port);
    }

    public ServeScript Script { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connectionCount);

    public int Logins => Volatile.Read(ref _loginCount);

    /// <summary>The highest ACK{up_to_seq} received for <paramref name="phone"/>.</summary>
    public ulong AckedUpTo(string phone)
    {
        lock (_queues)
        {
            return _queues.TryGetValue(phone, out var q) ? q.Acked : 0;
        }
    }

    public IReadOnlyList<string> Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToArray();
            }
        }
    }

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> (0 picks a free port).</summary>
    public static ScriptedServer Start(ServeScript script, int port = 0, Action<string>? echo = null)
    {
        var server = new ScriptedServer(script, port, echo);
        server._listener.Start();
        server._accepting = Task.Run(server.AcceptLoopAsync);
        server.Note($"serving script {script.Name} on 127.0.0.1:{server.Port}");
        return server;
    }

    private void Note(string line)
    {
        lock (_log)
        {
            _log.Add(line);
        }

        _echo?.Invoke(line);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient tcp;
            try
            {
                tcp = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var number = Interlocked.Increment(ref _connectionCount);
            var task = Task.Run(() => ServeAsync(tcp, number));
            lock (_connections)
            {
                _connections.Add(task);
            }
        }
    }

    private async Task ServeAsync(TcpClient tcp, int number)
    {
        using var _ = tcp;
        tcp.NoDelay = true;
        var conn = new ServedConnection(tcp.GetStream(), Script == ServeScript.SplitFrames, _stop.Token);
        Note($"connection {number}: opened");
        try
        {
            if (Script == ServeScript.Overloaded && number is 2 or 3)
            {
                await conn.WriteAsync(new Error { Code = (uint)ErrorCode.Overloaded, Message = "scripted: at the connection limit" });
                Note($"connection {number}: sent ERROR{{OVERLOADED}} and closed");
                return;
            }

            await foreach (var frame in conn.ReadFramesAsync())
            {
                if (!await HandleAsync(conn, number, frame))
                {
                    return;
                }
            }

            Note($"connection {number}: closed by the client");
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Note($"connection {number}: ended ({e.GetType().Name})");
        }
        catch (ProtocolException e)
        {
            Note($"connection {number}: the client sent an invalid frame: {e.Message}");
            await conn.TryWriteAsync(new Error { Code = (uint)e.Code, Message = e.Message });
        }
    }

    /// <summary>Handles one client frame; false ends the connection.</summary>
    private async Task<bool> HandleAsync(ServedConnection conn, int number, Frame frame)
    {
        switch (frame.Message)
        {
            case AuthRequestCode r:
                Note($"connection {number}: AUTH_REQUEST_CODE {r.Phone}");
                await conn.WriteAsync(new AuthCodeSent { ExpiresInS = 600, DevCode = Code });
                return true;
            case AuthVerify v when v.Code != Code:
                Note($"connection {number}: AUTH_VERIFY with a wrong code");
                await conn.WriteAsync(new Error { Code = (uint)ErrorCode.AuthFailed, Message = "wrong code (the scripted code is 123456)" });
                return false;
            case AuthVerify v:
                return await LoginAsync(conn, number, v.Phone, verified: true);
            case AuthLogin l:
                return await LoginAsync(conn, number, l.Phone, verified: false);
            case Ping p:
                await conn.WriteAsync(new Pong { Nonce = p.Nonce, ServerTimeMs = Now });
                return true;
            case Send s when conn.Phone is not null:
                return await SendAsync(conn, number, s);
            case Ack a when conn.Phone is not null:
                lock (_queues)
                {
                    var q = _queues[conn.Phone];
                    q.Acked = Math.Max(q.Acked, Math.Min(a.UpToSeq, (ulong)q.Items.Count)); // seqs are 1..Count
                }

                Note($"connection {number}: ACK up_to_seq={a.UpToSeq}");
                return true;
            case Read r when conn.Phone is not null:
                Note($"connection {number}: READ from {r.From} of {string.Join(",", r.ServerMsgIds)}");
                return true;
            case null:
                Note($"connection {number}: the client sent unassigned type 0x{(byte)frame.Type:X2}");
                await conn.WriteAsync(new Error { Code = (uint)ErrorCode.UnknownType, Message = $"unknown frame type 0x{(byte)frame.Type:X2}" });
                return true;
            default:
                if (conn.Phone is null)
                {
                    await conn.WriteAsync(new Error { Code = (uint)ErrorCode.Unauthenticated, Message = "log in first" });
                    return false;
                }

                Note($"connection {number}: {frame.Type} (not scripted)");
                await conn.WriteAsync(new Error { Code = (uint)ErrorCode.UnknownType, Message = $"{frame.Type} is not served by this scripted server" });
                return true;
        }
    }

    private async Task<bool> LoginAsync(ServedConnection conn, int number, string phone, bool verified)
    {
        var login = Interlocked.Increment(ref _loginCount);
        conn.Phone = phone;
        UserQueue queue;
        lock (_queues)
        {
            if (!_queues.TryGetValue(phone, out queue!))
            {
                queue = _queues[phone] = new UserQueue(Script);
            }

            queue.Logins++;
        }

        var token = verified ? ByteString.CopyFrom(new byte[32].Select((_, i) => (byte)(i + 1)).ToArray()) : ByteString.Empty;
        var pending = queue.Pending();
        Note($"connection {number}: login {login} of {phone} ({(verified ? "AUTH_VERIFY" : "AUTH_LOGIN")}), {pending.Count} items pending");
        await conn.WriteAsync(new AuthOk { Token = token, ServerTimeMs = Now, Node = "conformance-serve", Pending = (ulong)pending.Count });

        if (Script == ServeScript.IdleTimeout && queue.Logins == 1)
        {
            await conn.WriteAsync(new Error { Code = (uint)ErrorCode.IdleTimeout, Message = "scripted: idle" });
            Note($"connection {number}: sent ERROR{{IDLE_TIMEOUT}} and closed");
            return false;
        }

        if (Script == ServeScript.Overloaded && number == 1)
        {
            Note($"connection {number}: closed by the server");
            return false;
        }

        if (Script == ServeScript.Replaced && queue.Logins > 1)
        {
            Note($"connection {number}: the client logged in again after REPLACED (a conforming client does not)");
        }

        if (Script == ServeScript.UnknownTypes)
        {
            await conn.WriteRawAsync(0x7F, [0x08, 0x96, 0x01, 0x12, 0x02, 0x68, 0x69]);
            await conn.WriteRawAsync(0xEE, []);
            await conn.WriteAsync(new TypingNotify { From = Peer, State = (uint)TypingState.Composing });
        }

        foreach (var item in pending)
        {
            await PushAsync(conn, item);
            if (Script == ServeScript.Duplicates && item is Deliver { Seq: <= 3 })
            {
                await PushAsync(conn, item);
            }

            if (Script == ServeScript.UnknownTypes)
            {
                await conn.WriteRawAsync(0x7F, []);
            }
        }

        if (Script == ServeScript.Redeliver && queue.Logins == 1)
        {
            Note($"connection {number}: closed by the server after pushing {pending.Count} items");
            return false;
        }

        if (Script == ServeScript.Replaced && queue.Logins == 1)
        {
            await conn.WriteAsync(new Error { Code = (uint)ErrorCode.Replaced, Message = "scripted: logged in elsewhere" });
            Note($"connection {number}: sent ERROR{{REPLACED}} and closed");
            return false;
        }

        return true;
    }

    private async Task PushAsync(ServedConnection conn, IMessage item)
    {
        if (Script == ServeScript.UnknownTypes && item is Deliver)
        {
            // The DELIVER followed by field 50 (varint 7), which PROTOCOL.md does not define.
            var payload = item.ToByteArray().Concat(new byte[] { 0x90, 0x03, 0x07 }).ToArray();
            await conn.WriteRawAsync((byte)FrameType.Deliver, payload);
            return;
        }

        await conn.WriteAsync(item);
    }

    private async Task<bool> SendAsync(ServedConnection conn, int number, Send s)
    {
        Note($"connection {number}: SEND {s.ClientMsgId} to {s.To}");
        var ack = new SendAck { ClientMsgId = s.ClientMsgId, ServerMsgId = "srv-" + s.ClientMsgId, ServerTimeMs = Now };
        if (Script != ServeScript.OutOfOrderReceipts)
        {
            await conn.WriteAsync(ack);
            return true;
        }

        Receipt read, delivered;
        lock (_queues)
        {
            var q = _queues[conn.Phone!];
            read = q.Add(seq => new Receipt { Seq = seq, ServerMsgId = ack.ServerMsgId, ClientMsgId = s.ClientMsgId, Status = (uint)ReceiptStatus.Read, By = s.To, AtMs = Now });
            delivered = q.Add(seq => new Receipt { Seq = seq, ServerMsgId = ack.ServerMsgId, ClientMsgId = s.ClientMsgId, Status = (uint)ReceiptStatus.Delivered, By = s.To, AtMs = Now - 1 });
        }

        await conn.WriteAsync(read);
        await conn.WriteAsync(ack);
        await conn.WriteAsync(delivered);
        Note($"connection {number}: sent RECEIPT{{READ}} seq {read.Seq}, SEND_ACK, RECEIPT{{DELIVERED}} seq {delivered.Seq}");
        return true;
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        Task[] open;
        lock (_connections)
        {
            open = _connections.ToArray();
        }

        await Task.WhenAll(open);
        _stop.Dispose();
    }

    /// <summary>One phone's queue: the scripted items and how far the client acknowledged them.</summary>
    private sealed class UserQueue
    {
        private readonly ServeScript _script;

        public UserQueue(ServeScript script)
        {
            _script = script;
            var count = script == ServeScript.OutOfOrderReceipts ? 0 : script == ServeScript.Replaced ? 1 : 3;
            for (var k = 1; k <= count; k++)
            {
                var n = k;
                Add(seq => Message(seq, $"srv-msg-{n}", $"scripted message {n}"));
            }

            if (script == ServeScript.Duplicates)
            {
                // seq 4 is item 1 again under a new seq: the client knows it by its server_msg_id.
                Add(seq => Message(seq, "srv-msg-1", "scripted message 1"));
            }
        }

        public List<IMessage> Items { get; } = new();

        public ulong Acked { get; set; }

        public int Logins { get; set; }

        public Receipt Add(Func<ulong, Receipt> make)
        {
            var item = make((ulong)Items.Count + 1);
            Items.Add(item);
            return item;
        }

        public List<IMessage> Pending()
        {
            var pending = Items.Where(i => SeqOf(i) > Acked).ToList();
            if (_script == ServeScript.Redeliver && Logins == 2 && Items.Count == 3)
            {
                Add(seq => Message(seq, "srv-msg-4", "scripted message 4"));
                pending.Add(Items[^1]);
            }

            return pending;
        }

        private void Add(Func<ulong, Deliver> make) => Items.Add(make((ulong)Items.Count + 1));

        private static Deliver Message(ulong seq, string id, string text) => new()
        {
            Seq = seq,
            ServerMsgId = id,
            From = Peer,
            Kind = (uint)MessageKind.Text,
            Body = ByteString.CopyFromUtf8(text),
            SentAtMs = Now,
        };

        private static ulong SeqOf(IMessage item) => item switch
        {
            Deliver d => d.Seq,
            Receipt r => r.Seq,
            _ => 0,
        };
    }
}
