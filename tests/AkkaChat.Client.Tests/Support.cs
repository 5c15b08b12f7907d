using AkkaChat.TestKit;

namespace AkkaChat.Client.Tests;

public static class Clients
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Options for a client of <paramref name="node"/>; reconnects fast, as tests want.</summary>
    /// <summary>Key stores of the clients of this test run (the default would be the user's application data folder).</summary>
    public static readonly string KeyStores = Directory.CreateTempSubdirectory("akkachat-client-tests-keys-").FullName;

    public static ClientOptions For(NodeProcess node) => new()
    {
        KeyStoreDirectory = KeyStores,
        Host = "127.0.0.1",
        Port = node.Port,
        ReconnectInitialDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
        AckDelay = TimeSpan.FromMilliseconds(10),
        // A login lost while a restarted node is still starting is tried again sooner than the default.
        RequestTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>A new client that registered <paramref name="phone"/> with the code the node reveals.</summary>
    public static async Task<AkkaChatClient> RegisterAsync(NodeProcess node, string phone, ClientOptions? options = null)
    {
        var client = new AkkaChatClient(options ?? For(node));
        var sent = await client.RequestCodeAsync(phone).WaitAsync(Timeout);
        await client.VerifyAsync(phone, sent.DevCode, "test").WaitAsync(Timeout);
        return client;
    }

    /// <summary>A new client logged in with stored credentials.</summary>
    public static async Task<(AkkaChatClient Client, LoginResult Login)> LoginAsync(NodeProcess node, Credentials credentials, ClientOptions? options = null)
    {
        var client = new AkkaChatClient(options ?? For(node));
        var login = await client.LoginAsync(credentials).WaitAsync(Timeout);
        return (client, login);
    }
}

/// <summary>Awaiting conditions with deadlines, instead of sleeping.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Clients.Timeout);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting until {what}");
            }

            await poll.WaitForNextTickAsync();
        }
    }

    /// <summary>Completes when <paramref name="client"/> reaches <paramref name="state"/>.</summary>
    public static Task StateAsync(AkkaChatClient client, ConnectionState state, TimeSpan? timeout = null) =>
        TrueAsync(() => client.State == state, $"the client is {state} (it is {client.State})", timeout);
}

/// <summary>Reads a client's events on a background task and keeps them for assertions.</summary>
public sealed class EventLog : IAsyncDisposable
{
    private readonly List<ChatEvent> _events = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    public EventLog(AkkaChatClient client)
    {
        _reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in client.ReadEventsAsync(_stop.Token))
                {
                    lock (_events)
                    {
                        _events.Add(e);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // stopped
            }
            catch (Exception e)
            {
                Ended = e;
            }
        });
    }

    /// <summary>The exception the enumeration ended with, if any.</summary>
    public Exception? Ended { get; private set; }

    public IReadOnlyList<ChatEvent> All
    {
        get
        {
            lock (_events)
            {
                return _events.ToArray();
            }
        }
    }

    public IReadOnlyList<MessageReceived> Messages => All.OfType<MessageReceived>().ToArray();

    public IReadOnlyList<ReceiptReceived> Receipts => All.OfType<ReceiptReceived>().ToArray();

    public Task WaitForAsync(Func<EventLog, bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(() => condition(this), what, timeout);

    public Task WhenEnded => _reading;

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _reading;
        _stop.Dispose();
    }
}
