using AkkaChat.TestKit;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.EndToEnd.Tests;

/// <summary>A node of its own with tight limits: send rate, idle timeout, connection limit.</summary>
public sealed class StrictNodeFixture : IAsyncLifetime
{
    public const string Config = """
        akkachat.rate-limit.send-per-second = 0.5
        akkachat.rate-limit.send-burst = 3
        akkachat.connection.idle-timeout = 3s
        akkachat.config-reload.interval = 200ms
        """;

    public NodeProcess Node { get; private set; } = null!;

    public async Task InitializeAsync() => Node = await NodeProcess.StartAsync(Config);

    public async Task DisposeAsync() => await Node.DisposeAsync();
}

[Trait("Category", "Slow")]
public sealed class LimitsTests(StrictNodeFixture fixture) : IClassFixture<StrictNodeFixture>
{
    private readonly NodeProcess _node = fixture.Node;

    [Fact]
    public async Task Sends_over_the_rate_limit_get_rate_limited_without_send_ack_and_the_connection_stays_open()
    {
        var bob = TestPhones.New();
        await using (var b = await _node.ConnectAsync())
        {
            await b.RegisterAsync(bob);
        }

        await using var a = await _node.ConnectAsync();
        await a.RegisterAsync(TestPhones.New());
        for (var i = 0; i < 3; i++)
        {
            await a.SendTextAsync(bob, $"burst-{i}", "within the burst");
        }

        await a.SendAsync(new Send { ClientMsgId = "over", To = bob, Body = ByteString.CopyFromUtf8("one too many") });
        await a.ExpectErrorAsync(ErrorCode.RateLimited, "over");
        await a.ExpectAliveAsync();
    }

    [Fact]
    public async Task A_connection_that_sends_nothing_for_the_idle_timeout_gets_idle_timeout_and_is_closed()
    {
        await using var client = await _node.ConnectAsync();
        await client.ExpectAliveAsync();
        await client.ExpectErrorAsync(ErrorCode.IdleTimeout);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task A_lowered_connection_limit_is_reloaded_from_the_config_file_and_answers_overloaded()
    {
        await _node.RewriteConfigAsync(StrictNodeFixture.Config + "\nakkachat.connection.max-connections = 1\n");
        try
        {
            await using var holder = await _node.ConnectAsync();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                await holder.ExpectAliveAsync();
                await using var extra = await _node.ConnectAsync();
                try
                {
                    var frame = await extra.ReadFrameAsync(TimeSpan.FromMilliseconds(500));
                    Assert.Equal(ErrorCode.Overloaded, Assert.IsType<Error>(frame?.Message).ErrorCode);
                    await extra.ExpectClosedAsync();
                    break;
                }
                catch (TimeoutException) when (DateTime.UtcNow < deadline)
                {
                    // accepted: the reload has not applied yet
                }
            }

            Assert.Contains("Reloaded", _node.Output);
        }
        finally
        {
            await _node.RewriteConfigAsync(StrictNodeFixture.Config);
            await AwaitAcceptingAgainAsync();
        }
    }

    /// <summary>Waits until the restored limit is reloaded: a second connection answers PING.</summary>
    private async Task AwaitAcceptingAgainAsync()
    {
        await using var holder = await _node.ConnectAsync();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await holder.ExpectAliveAsync();
            await using var extra = await _node.ConnectAsync();
            await extra.SendAsync(new Ping { Nonce = 7 });
            if ((await extra.ReadFrameAsync())?.Message is Pong || DateTime.UtcNow > deadline)
            {
                return;
            }
        }
    }
}

/// <summary>AUTH_REQUEST_CODE limits, on a node of their own with small ones.</summary>
[Trait("Category", "Slow")]
public sealed class CodeRequestLimitTests
{
    [Fact]
    public async Task Code_requests_over_the_per_phone_and_per_address_limits_get_rate_limited_and_the_connection_stays_open()
    {
        await using var node = await NodeProcess.StartAsync("""
            akkachat.registration.code-requests-per-phone-burst = 2
            akkachat.registration.code-requests-per-phone-interval = 1h
            akkachat.registration.code-requests-per-address-burst = 4
            akkachat.registration.code-requests-per-address-interval = 1h
            """);
        await using var client = await node.ConnectAsync();
        var phone = TestPhones.New();
        for (var i = 0; i < 2; i++)
        {
            await client.SendAsync(new AuthRequestCode { Phone = phone });
            await client.ExpectAsync<AuthCodeSent>();
        }

        await client.SendAsync(new AuthRequestCode { Phone = phone });
        await client.ExpectErrorAsync(ErrorCode.RateLimited, phone);
        await client.ExpectAliveAsync();

        // The same address, other numbers: its budget of four has one left (the refused request
        // counted too), then it is spent.
        await client.SendAsync(new AuthRequestCode { Phone = TestPhones.New() });
        await client.ExpectAsync<AuthCodeSent>();

        var next = TestPhones.New();
        await client.SendAsync(new AuthRequestCode { Phone = next });
        await client.ExpectErrorAsync(ErrorCode.RateLimited, next);
        await client.ExpectAliveAsync();
    }
}

/// <summary>The SEND rate limit across connections of one user, on a node of its own.</summary>
[Trait("Category", "Slow")]
public sealed class UserSendRateTests
{
    [Fact]
    public async Task The_send_rate_limit_is_per_user_so_a_new_connection_continues_the_spent_budget()
    {
        // A refill slower than any test run: the only way to a fresh burst would be a fresh bucket.
        await using var node = await NodeProcess.StartAsync("""
            akkachat.rate-limit.send-per-second = 0.001
            akkachat.rate-limit.send-burst = 3
            """);
        var bob = TestPhones.New();
        await using (var b = await node.ConnectAsync())
        {
            await b.RegisterAsync(bob);
        }

        var alice = TestPhones.New();
        AuthOk registered;
        await using (var first = await node.ConnectAsync())
        {
            registered = await first.RegisterAsync(alice);
            for (var i = 0; i < 3; i++)
            {
                await first.SendTextAsync(bob, $"spent-{i}", "the whole burst");
            }
        }

        await using var second = await node.ConnectAsync();
        await second.LoginAsync(alice, registered.Token);
        await second.SendAsync(new Send { ClientMsgId = "after-reconnect", To = bob, Body = ByteString.CopyFromUtf8("no new burst") });
        await second.ExpectErrorAsync(ErrorCode.RateLimited, "after-reconnect");
        await second.ExpectAliveAsync();
    }
}
