using System.Diagnostics;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Google.Protobuf;
using Xunit.Abstractions;

namespace AkkaChat.EndToEnd.Tests;

/// <summary>
/// Abusive clients against a node of their own, each while a pair of ordinary users keeps
/// messaging: the abuse is contained by the node's limits (idle timeout, byte-bounded send queue
/// with the slow-reader timeout, the per-user send rate) and every ordinary message is delivered.
/// Each test reports the ordinary users' SEND-to-DELIVER latency during the abuse; the figures are
/// printed, not asserted (performance goals live in the bench), besides a generous deadline per
/// message that only a stalled node misses.
/// </summary>
[Trait("Category", "Slow")]
public sealed class AbuseTests(ITestOutputHelper output)
{
    // The idle timeout is long except where silence is the abuse: an ordinary user's first request
    // on a freshly started, loaded node may take seconds, and must not be cut as idleness.
    private const string Config = """
        akkachat.connection.idle-timeout = 2m
        akkachat.connection.send-buffer-bytes = 16KiB
        akkachat.connection.slow-reader-timeout = 3s
        """;

    private const string SilenceConfig = Config + """

        akkachat.connection.idle-timeout = 8s
        """;

    /// <summary>Longest an ordinary message may take to arrive before the node counts as harmed.</summary>
    private static readonly TimeSpan PerMessageDeadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Connections_that_open_and_never_authenticate_are_closed_at_the_idle_timeout_without_harm_to_other_users()
    {
        await using var node = await NodeProcess.StartAsync(SilenceConfig);
        await using var pair = await OrdinaryPair.StartAsync(node);
        var abusers = new List<ProtocolClient>();
        for (var i = 0; i < 300; i++)
        {
            abusers.Add(await node.ConnectAsync());
        }

        var latencies = await pair.ExchangeAsync(messages: 40);

        // Each silent connection gets IDLE_TIMEOUT and is closed.
        foreach (var abuser in abusers)
        {
            await abuser.ExpectErrorAsync(ErrorCode.IdleTimeout);
            await abuser.ExpectClosedAsync(TimeSpan.FromSeconds(30));
            await abuser.DisposeAsync();
        }

        Report("300 connections that never authenticate", latencies);

        // And the node serves on. A new pair: the first one was silent while the abusers timed out,
        // as long as they were, so the same idle timeout may have closed it too, as it should.
        await using var after = await OrdinaryPair.StartAsync(node);
        await after.ExchangeAsync(messages: 5);
    }

    [Fact]
    public async Task Connections_that_keep_pinging_but_never_log_in_are_closed_at_the_login_deadline_without_harm_to_other_users()
    {
        const int Abusers = 60;
        // The login deadline past the idle timeout, which the PINGs keep off; both long enough that
        // the ordinary users, loaded by the abusers' own start, do not go idle meanwhile.
        var loginTimeout = TimeSpan.FromSeconds(10);
        await using var node = await NodeProcess.StartAsync(Config + """

            akkachat.connection.idle-timeout = 8s
            akkachat.connection.login-timeout = 10s
            """);
        await using var pair = await OrdinaryPair.StartAsync(node);

        // Each abuser PINGs every second (well within the idle timeout) and reads its PONGs, until the
        // node answers something else; it reports when, counted from before it connected.
        var abusers = Enumerable.Range(0, Abusers).Select(_ => Task.Run(async () =>
        {
            var connecting = Stopwatch.StartNew();
            await using var abuser = await node.ConnectAsync();
            for (var nonce = 1UL; ; nonce++)
            {
                if (connecting.Elapsed > TimeSpan.FromSeconds(90))
                {
                    throw new ProtocolExpectationException($"a connection that never logged in is still open after {connecting.Elapsed}");
                }

                await abuser.SendAsync(new Ping { Nonce = nonce });
                var answer = (await abuser.ReadFrameAsync(TimeSpan.FromSeconds(30)))?.Message;
                if (answer is not Pong)
                {
                    var error = Assert.IsType<Error>(answer);
                    await abuser.ExpectClosedAsync(TimeSpan.FromSeconds(30));
                    return (error.ErrorCode, connecting.Elapsed, Pongs: nonce - 1);
                }

                await Task.Delay(TimeSpan.FromSeconds(1)); // the client's ping cadence, not a wait for a condition
            }
        })).ToArray();

        // The ordinary pair exchanges a few messages every half second until every abuser is closed.
        var latencies = new List<TimeSpan>();
        while (!abusers.All(a => a.IsCompleted))
        {
            latencies.AddRange(await pair.ExchangeAsync(messages: 5));
            await Task.Delay(TimeSpan.FromMilliseconds(500)); // the ordinary users' pace, not a wait for a condition
        }

        var closed = await Task.WhenAll(abusers);
        Assert.All(closed, c => Assert.Equal(ErrorCode.Unauthenticated, c.ErrorCode));
        Assert.All(closed, c => Assert.True(c.Elapsed >= loginTimeout, $"closed {c.Elapsed} after connecting, before the login deadline"));
        Assert.All(closed, c => Assert.True(c.Pongs >= 3, $"only {c.Pongs} PINGs were answered before the deadline"));
        output.WriteLine($"{Abusers} pinging connections that never logged in: each got UNAUTHENTICATED and was closed " +
            $"{closed.Min(c => c.Elapsed).TotalSeconds:0.0} to {closed.Max(c => c.Elapsed).TotalSeconds:0.0} s after connecting (login-timeout 10 s), " +
            $"after {closed.Min(c => c.Pongs)} to {closed.Max(c => c.Pongs)} PONGs");
        Report($"{Abusers} connections that ping and never log in", latencies);
        await pair.ExchangeAsync(messages: 5);
    }

    [Fact]
    public async Task A_connection_that_stops_reading_is_closed_as_a_slow_reader_without_harm_to_other_users()
    {
        const int Pings = 2_000_000;
        await using var node = await NodeProcess.StartAsync(Config);
        await using var pair = await OrdinaryPair.StartAsync(node);
        await using var abuser = await node.ConnectAsync();
        await abuser.RegisterAsync(TestPhones.New());

        // PINGs, written and never read: their PONGs back up past the 16 KiB send queue, the node
        // stops reading this socket, and closes it once nothing drained for the slow-reader timeout.
        var pings = new MemoryStream();
        for (var i = 0; i < Pings; i++)
        {
            pings.Write(FrameWriter.ToBytes(new Ping { Nonce = (ulong)i }));
        }

        var writing = abuser.SendRawAsync(pings.ToArray()).ContinueWith(t => t.Exception is null ? "all written" : "write failed: " + t.Exception.GetBaseException().Message);

        // The ordinary pair keeps messaging until the node has dealt with the abuser: its blocked
        // write ends once the node closes the socket.
        var latencies = new List<TimeSpan>();
        var abuse = Stopwatch.StartNew();
        while (!writing.IsCompleted)
        {
            Assert.True(abuse.Elapsed < TimeSpan.FromSeconds(90), "the connection that stopped reading was not closed within 90 s (slow-reader timeout 3 s)");
            latencies.AddRange(await pair.ExchangeAsync(messages: 10));
        }

        // Reading now drains what TCP buffered, then the end: the node closed the connection long
        // before all 2,000,000 PONGs (about 22 MB, far more than the kernel buffers of a loopback socket hold) were answered.
        var pongs = 0;
        var deadline = Stopwatch.StartNew();
        while ((await abuser.ReadFrameAsync(TimeSpan.FromSeconds(30)))?.Message is Pong)
        {
            pongs++;
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"the connection that stopped reading is still open after {pongs} PONGs");
        }

        Assert.True(pongs < Pings, "the node answered every PING of a connection that did not read");
        output.WriteLine($"the non-reading connection was closed after {abuse.Elapsed.TotalSeconds:0.0} s and {pongs} PONGs (reset: {abuser.ClosedByReset}); its writer: {await writing}");
        Report("one connection that stops reading", latencies);
        await pair.ExchangeAsync(messages: 5);
    }

    [Fact]
    public async Task A_flood_of_sends_from_one_user_is_rate_limited_without_harm_to_other_users()
    {
        const int Flood = 5_000;
        await using var node = await NodeProcess.StartAsync(Config);
        await using var pair = await OrdinaryPair.StartAsync(node);
        var victim = TestPhones.New();
        await using (var v = await node.ConnectAsync())
        {
            await v.RegisterAsync(victim);
        }

        await using var flooder = await node.ConnectAsync();
        await flooder.RegisterAsync(TestPhones.New());
        var burst = new MemoryStream();
        for (var i = 0; i < Flood; i++)
        {
            burst.Write(FrameWriter.ToBytes(new Send { ClientMsgId = $"f-{i}", To = victim, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFrom(new byte[500]) }));
        }

        var writing = flooder.SendRawAsync(burst.ToArray());
        var reading = Task.Run(async () =>
        {
            var (acked, limited) = (0, 0);
            for (var i = 0; i < Flood; i++)
            {
                switch ((await flooder.ReadFrameAsync(TimeSpan.FromSeconds(60)))?.Message)
                {
                    case SendAck:
                        acked++;
                        break;
                    case Error { ErrorCode: ErrorCode.RateLimited }:
                        limited++;
                        break;
                    case var other:
                        throw new InvalidOperationException($"unexpected answer to the flood after {acked} SEND_ACK, {limited} RATE_LIMITED: {other?.ToString() ?? "closed"}");
                }
            }

            return (acked, limited);
        });

        var latencies = await pair.ExchangeAsync(messages: 40);
        var (acked, limited) = await reading;
        await writing;

        Assert.Equal(Flood, acked + limited);
        Assert.True(limited > 0, "a flood of 5,000 SENDs at once was not rate limited");
        output.WriteLine($"flood of {Flood} SENDs: {acked} SEND_ACK, {limited} RATE_LIMITED; the flooder's connection stayed open");
        await flooder.ExpectAliveAsync();
        Report("one user flooding", latencies);
    }

    private void Report(string abuse, IReadOnlyList<TimeSpan> latencies)
    {
        var sorted = latencies.Select(l => l.TotalMilliseconds).Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        output.WriteLine(
            $"{abuse}: other users' SEND-to-DELIVER latency over {sorted.Length} messages: p50 {At(0.5):0.0} ms, p99 {At(0.99):0.0} ms, max {sorted[^1]:0.0} ms " +
            $"(load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
    }

    /// <summary>Two ordinary users, both logged in: one sends, the other receives and ACKs.</summary>
    private sealed class OrdinaryPair : IAsyncDisposable
    {
        private readonly ProtocolClient _sender;
        private readonly ProtocolClient _receiver;
        private readonly string _receiverPhone;
        private int _sent;
        private readonly Stopwatch _sinceLastSend = Stopwatch.StartNew();

        private const int MaxSendsPerSecond = 50;
        private static readonly TimeSpan SendInterval = TimeSpan.FromSeconds(1.0 / MaxSendsPerSecond);

        private OrdinaryPair(ProtocolClient sender, ProtocolClient receiver, string receiverPhone)
        {
            _sender = sender;
            _receiver = receiver;
            _receiverPhone = receiverPhone;
        }

        public static async Task<OrdinaryPair> StartAsync(NodeProcess node)
        {
            var sender = await node.ConnectAsync();
            await sender.RegisterAsync(TestPhones.New());
            var receiver = await node.ConnectAsync();
            var phone = TestPhones.New();
            await receiver.RegisterAsync(phone);
            return new OrdinaryPair(sender, receiver, phone);
        }

        /// <summary>
        /// Sends <paramref name="messages"/> one after another; each must arrive within the deadline.
        /// The pair stays at most at <see cref="MaxSendsPerSecond"/>, half the node's per-user send
        /// rate (100 per second): an ordinary user is never rate limited, so a missing DELIVER means
        /// harm, not a RATE_LIMITED SEND (back to back on an idle machine the pair reaches about 290
        /// per second and, once its 500-message burst is spent, loses SENDs to the limit).
        /// </summary>
        public async Task<IReadOnlyList<TimeSpan>> ExchangeAsync(int messages)
        {
            var latencies = new List<TimeSpan>();
            for (var i = 0; i < messages; i++)
            {
                var wait = SendInterval - _sinceLastSend.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait); // the pair's send rate, not a wait for a condition
                }

                _sinceLastSend.Restart();
                var id = $"o-{_sent++}";
                var clock = Stopwatch.StartNew();
                await _sender.SendAsync(new Send { ClientMsgId = id, To = _receiverPhone, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8(id) });
                var deliver = await _receiver.ExpectAsync<Deliver>(PerMessageDeadline);
                latencies.Add(clock.Elapsed);
                Assert.Equal(id, deliver.Body.ToStringUtf8());
                await _receiver.SendAsync(new Ack { UpToSeq = deliver.Seq });
                await ExpectSendAckAsync(id);
            }

            // The receiver pings to stay within the lowered idle timeout between exchanges (the
            // sender's next SEND does; a PING there could meet a receipt first).
            await _receiver.ExpectAliveAsync();
            return latencies;
        }

        /// <summary>The SEND_ACK for <paramref name="id"/>; DELIVERED receipts of earlier messages may come first and are acknowledged.</summary>
        private async Task ExpectSendAckAsync(string id)
        {
            while (true)
            {
                switch ((await _sender.ReadFrameAsync(PerMessageDeadline))?.Message)
                {
                    case SendAck ack when ack.ClientMsgId == id:
                        return;
                    case Receipt receipt:
                        await _sender.SendAsync(new Ack { UpToSeq = receipt.Seq });
                        break;
                    case var other:
                        throw new ProtocolExpectationException($"expected SEND_ACK for {id}, got {other?.ToString() ?? "the connection closed"}");
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _sender.DisposeAsync();
            await _receiver.DisposeAsync();
        }
    }
}
