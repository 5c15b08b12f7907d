using System.Collections.Concurrent;
using AkkaChat.Client;
using AkkaChat.Conformance.Serve;
using AkkaChat.Protocol;

namespace AkkaChat.Conformance.Tests;

/// <summary>
/// The project's SDK (public API only) against every serve script: it must cope the way the
/// script's <see cref="ServeScript.ClientMust"/> says.
/// </summary>
public sealed class SdkClientModeTests
{
    private const string Phone = "+15550000777";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    /// <summary>An SDK client registered on the scripted server, with every event it surfaced recorded.</summary>
    private sealed class Session : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _reading;

        public Session(ScriptedServer server)
        {
            Client = new AkkaChatClient(new ClientOptions
            {
                Host = "127.0.0.1",
                Port = server.Port,
                ReconnectInitialDelay = TimeSpan.FromMilliseconds(100),
                ReconnectMaxDelay = TimeSpan.FromSeconds(1),
                RequestTimeout = TimeSpan.FromSeconds(5),
                // The scripts test the session (frames, acks, reconnects), not end-to-end encryption:
                // they answer no KEYS_FETCH, and their bodies are plaintext.
                Encryption = false,
            });
            _reading = Task.Run(ReadAsync);
        }

        public AkkaChatClient Client { get; }

        public ConcurrentQueue<ChatEvent> Events { get; } = new();

        public Exception? Ended { get; private set; }

        public async Task RegisterAsync()
        {
            var sent = await Client.RequestCodeAsync(Phone);
            await Client.VerifyAsync(Phone, sent.DevCode, "conformance");
        }

        private async Task ReadAsync()
        {
            try
            {
                await foreach (var e in Client.ReadEventsAsync(_stop.Token))
                {
                    Events.Enqueue(e);
                }
            }
            catch (Exception e)
            {
                Ended = e;
            }
        }

        public string[] Texts() => Events.OfType<MessageReceived>().Select(m => m.Text).ToArray();

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            _stop.Cancel();
            await _reading;
            _stop.Dispose();
        }
    }

    /// <summary>Every serve script, and the test below that drives the SDK through it.</summary>
    private static readonly Dictionary<string, string> DrivenBy = new()
    {
        [ServeScript.WellBehaved.Name] = nameof(The_sdk_handles_a_well_behaved_server),
        [ServeScript.SplitFrames.Name] = nameof(The_sdk_reassembles_frames_split_at_every_byte),
        [ServeScript.Duplicates.Name] = nameof(The_sdk_shows_duplicates_once_and_acknowledges_past_them),
        [ServeScript.Redeliver.Name] = nameof(The_sdk_reconnects_after_a_close_and_drops_the_redelivered_items),
        [ServeScript.Replaced.Name] = nameof(The_sdk_stops_for_good_on_replaced),
        [ServeScript.IdleTimeout.Name] = nameof(The_sdk_logs_in_again_after_idle_timeout),
        [ServeScript.Overloaded.Name] = nameof(The_sdk_keeps_retrying_through_overloaded),
        [ServeScript.UnknownTypes.Name] = nameof(The_sdk_ignores_unknown_frame_types_and_fields),
        [ServeScript.OutOfOrderReceipts.Name] = nameof(The_sdk_completes_a_send_whose_receipt_came_first),
    };

    [Fact]
    public void Every_serve_script_has_a_test_that_drives_the_sdk_through_it()
    {
        Assert.Equal(ServeScript.All.Select(s => s.Name).Order(), DrivenBy.Keys.Order());
        Assert.All(DrivenBy.Values, test => Assert.NotNull(typeof(SdkClientModeTests).GetMethod(test)?.GetCustomAttributes(typeof(FactAttribute), false).SingleOrDefault()));
    }

    private static async Task AwaitAsync(string what, Func<bool> condition, ScriptedServer server)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"{what} within {Deadline}; the server saw:\n{string.Join("\n", server.Log)}");
            await Task.Delay(50);
        }
    }

    private static async Task AssertShowsThreeMessagesOnceAndAcksAsync(ServeScript script, int ackedUpTo = 3)
    {
        await using var server = ScriptedServer.Start(script);
        await using var session = new Session(server);
        await session.RegisterAsync();

        await AwaitAsync($"the server to see ACK up to {ackedUpTo}", () => server.AckedUpTo(Phone) >= (ulong)ackedUpTo, server);
        Assert.Equal(Enumerable.Range(1, 3).Select(n => $"scripted message {n}"), session.Texts());
        Assert.Null(session.Ended);
    }

    [Fact]
    public Task The_sdk_handles_a_well_behaved_server() => AssertShowsThreeMessagesOnceAndAcksAsync(ServeScript.WellBehaved);

    [Fact]
    public Task The_sdk_reassembles_frames_split_at_every_byte() => AssertShowsThreeMessagesOnceAndAcksAsync(ServeScript.SplitFrames);

    [Fact]
    public async Task The_sdk_shows_duplicates_once_and_acknowledges_past_them()
    {
        await AssertShowsThreeMessagesOnceAndAcksAsync(ServeScript.Duplicates, ackedUpTo: 4);
    }

    [Fact]
    public async Task The_sdk_reconnects_after_a_close_and_drops_the_redelivered_items()
    {
        await using var server = ScriptedServer.Start(ServeScript.Redeliver);
        await using var session = new Session(server);
        await session.RegisterAsync();

        await AwaitAsync("the server to see ACK up to 4", () => server.AckedUpTo(Phone) >= 4, server);
        Assert.True(server.Logins >= 2);
        Assert.Equal(Enumerable.Range(1, 4).Select(n => $"scripted message {n}"), session.Texts());
    }

    [Fact]
    public async Task The_sdk_stops_for_good_on_replaced()
    {
        await using var server = ScriptedServer.Start(ServeScript.Replaced);
        await using var session = new Session(server);
        await session.RegisterAsync();

        await AwaitAsync("the client to end its session", () => session.Client.State == ConnectionState.Terminated && session.Ended is not null, server);
        var ended = Assert.IsType<AkkaChatException>(session.Ended);
        Assert.Equal(ErrorCode.Replaced, ended.Code);
        Assert.Equal(["scripted message 1"], session.Texts());
        Assert.Equal(1, server.Logins);
    }

    [Fact]
    public async Task The_sdk_logs_in_again_after_idle_timeout()
    {
        await using var server = ScriptedServer.Start(ServeScript.IdleTimeout);
        await using var session = new Session(server);
        await session.RegisterAsync();

        await AwaitAsync("the server to see ACK up to 3", () => server.AckedUpTo(Phone) >= 3, server);
        Assert.True(server.Logins >= 2, $"{server.Logins} logins");
        Assert.Equal(Enumerable.Range(1, 3).Select(n => $"scripted message {n}"), session.Texts());
    }

    [Fact]
    public async Task The_sdk_keeps_retrying_through_overloaded()
    {
        await using var server = ScriptedServer.Start(ServeScript.Overloaded);
        await using var session = new Session(server);
        await session.RegisterAsync();

        await AwaitAsync("the server to see ACK up to 3", () => server.AckedUpTo(Phone) >= 3, server);
        Assert.True(server.Connections >= 4, $"{server.Connections} connections");
        Assert.Equal(Enumerable.Range(1, 3).Select(n => $"scripted message {n}"), session.Texts());
    }

    [Fact]
    public async Task The_sdk_ignores_unknown_frame_types_and_fields()
    {
        await using var server = ScriptedServer.Start(ServeScript.UnknownTypes);
        await using var session = new Session(server);
        await session.RegisterAsync();

        await AwaitAsync("the server to see ACK up to 3", () => server.AckedUpTo(Phone) >= 3, server);
        Assert.Equal(Enumerable.Range(1, 3).Select(n => $"scripted message {n}"), session.Texts());
        Assert.Equal(1, server.Logins); // the unknown frames did not cost the connection
    }

    [Fact]
    public async Task The_sdk_completes_a_send_whose_receipt_came_first()
    {
        await using var server = ScriptedServer.Start(ServeScript.OutOfOrderReceipts);
        await using var session = new Session(server);
        await session.RegisterAsync();

        var ack = await session.Client.SendTextAsync("+15550000002", "hello", clientMsgId: "c-1").WaitAsync(Deadline);
        Assert.Equal("srv-c-1", ack.ServerMsgId);
        await AwaitAsync("the server to see ACK up to 2", () => server.AckedUpTo(Phone) >= 2, server);
        var receipts = session.Events.OfType<ReceiptReceived>().ToArray();
        Assert.Equal([ReceiptStatus.Read, ReceiptStatus.Delivered], receipts.Select(r => r.Status));
        Assert.All(receipts, r => Assert.Equal("c-1", r.ClientMsgId));
    }
}
