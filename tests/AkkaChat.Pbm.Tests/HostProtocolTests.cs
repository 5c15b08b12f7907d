using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Management;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaChat.Pbm.Tests;

/// <summary>The management host over real TCP, with a test palette, driven by pbm's own client.</summary>
public sealed class HostProtocolTests : IAsyncLifetime
{
    private const string Token = "0123456789abcdef-token";
    private ActorSystem _system = null!;
    private ManagementHost _host = null!;

    private HostAddress Address => new("127.0.0.1", _host.LocalEndpoint.Port);

    public Task InitializeAsync()
    {
        _system = ActorSystem.Create("akkachat", ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            """));
        var settings = AkkaChatSettings.Create(NodeConfig.ReferenceConfig);
        var management = new ManagementSettings(true, "127.0.0.1", 0, Token, 10, 10);
        var context = new ManagementContext(_system, settings, management, new RuntimeSettingsSource(settings.Runtime), new LogBuffer(10), null, ActorRefs.Nobody);
        _host = new ManagementHost(context, [new EchoPalette()], NullLogger.Instance);
        _host.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _system.Terminate();
    }

    [Fact]
    public async Task The_host_greets_with_its_node_and_palettes_and_says_a_token_is_required()
    {
        await using var client = await ManagementClient.ConnectAsync(Address, Token, CancellationToken.None);
        Assert.Equal("hello", client.Hello.Type);
        Assert.True(client.Hello.Auth);
        Assert.Equal(1, client.Hello.Version);
        Assert.StartsWith("akka.tcp://akkachat@127.0.0.1:", client.Hello.Address);
        var palette = Assert.Single(client.Palettes);
        Assert.Equal(["say", "count"], palette.Commands.Select(c => c.Name));
        Assert.True(palette.Commands[1].Streaming);
    }

    [Fact]
    public async Task A_request_streams_its_lines_and_ends_ok()
    {
        await using var client = await ManagementClient.ConnectAsync(Address, Token, CancellationToken.None);
        var lines = new List<string>();
        var end = await client.RunAsync(["echo", "say", "hello"], lines.Add, CancellationToken.None);
        Assert.True(end.Ok);
        Assert.Equal(["hello", "hello again"], lines);

        // the connection takes the next request
        lines.Clear();
        Assert.True((await client.RunAsync(["echo", "say", "twice"], lines.Add, CancellationToken.None)).Ok);
        Assert.Equal(["twice", "twice again"], lines);
    }

    [Fact]
    public async Task A_command_that_fails_ends_with_its_reason_and_the_connection_stays()
    {
        await using var client = await ManagementClient.ConnectAsync(Address, Token, CancellationToken.None);
        var end = await client.RunAsync(["echo", "say"], _ => { }, CancellationToken.None);
        Assert.False(end.Ok);
        Assert.Equal("usage: echo say WORD", end.Error);
        Assert.True((await client.RunAsync(["echo", "say", "x"], _ => { }, CancellationToken.None)).Ok);
    }

    [Fact]
    public async Task A_wrong_token_is_refused_and_the_connection_closed()
    {
        await using var client = await ManagementClient.ConnectAsync(Address, "wrong-token-wrong-token", CancellationToken.None);
        var lines = new List<string>();
        var end = await client.RunAsync(["echo", "say", "hello"], lines.Add, CancellationToken.None);
        Assert.False(end.Ok);
        Assert.Equal("unauthorized: wrong or missing token", end.Error);
        Assert.Empty(lines);
        var next = await Assert.ThrowsAsync<PbmException>(() => client.RunAsync(["echo", "say", "hello"], lines.Add, CancellationToken.None));
        Assert.Contains("closed the connection", next.Message);
    }

    [Fact]
    public async Task A_missing_token_is_refused()
    {
        await using var client = await ManagementClient.ConnectAsync(Address, null, CancellationToken.None);
        var end = await client.RunAsync(["echo", "say", "hello"], _ => { }, CancellationToken.None);
        Assert.Equal("unauthorized: wrong or missing token", end.Error);
    }

    [Fact]
    public async Task Cancelling_a_streaming_command_ends_it_and_the_connection_takes_the_next()
    {
        await using var client = await ManagementClient.ConnectAsync(Address, Token, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var lines = new List<string>();
        var end = await client.RunAsync(["echo", "count"], line =>
        {
            lines.Add(line);
            if (lines.Count == 3)
            {
                cancel.Cancel();
            }
        }, cancel.Token);
        Assert.True(end.Ok);
        Assert.Equal(["1", "2", "3"], lines.Take(3));
        Assert.True((await client.RunAsync(["echo", "say", "after"], _ => { }, CancellationToken.None)).Ok);
    }

    [Fact]
    public async Task A_line_longer_than_the_limit_closes_the_connection()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Address.Port);
        var stream = tcp.GetStream();
        var reader = new StreamReader(stream, Encoding.UTF8);
        Assert.Contains("\"type\":\"hello\"", await reader.ReadLineAsync());
        var huge = new byte[ManagementProtocol.MaxLineBytes + 10];
        Array.Fill(huge, (byte)'x');
        await stream.WriteAsync(huge);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Null(await reader.ReadLineAsync(deadline.Token));
    }

    /// <summary>say WORD: two lines; count: 1, 2, 3, ... until cancelled (each line after the previous was written).</summary>
    private sealed class EchoPalette : IPalette
    {
        public PaletteSpec Spec { get; } = new("echo", "test palette", [
            new CommandSpec("say", "", ["WORD"], []),
            new CommandSpec("count", "", [], [], Streaming: true),
        ]);

        public async Task RunAsync(ParsedCommand command, Func<string, Task> writeLine, CancellationToken cancel)
        {
            if (command.Spec.Name == "say")
            {
                await writeLine(command.Arguments[0]);
                await writeLine(command.Arguments[0] + " again");
                return;
            }

            for (var i = 1; ; i++)
            {
                cancel.ThrowIfCancellationRequested();
                await writeLine(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                await Task.Yield();
            }
        }
    }
}
