using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Users;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AkkaChat.TestKit;

/// <summary>
/// One AkkaChat node running in the test process: the real node host (its own ActorSystem, TCP
/// listener, cluster sharding and journal) on free ports. Created by <see cref="ChatCluster"/>.
/// </summary>
public sealed class ClusterNode : IChatNode
{
    /// <summary>Remoting with Akka.Remote's throttler adapter, so links can be cut and slowed.</summary>
    internal const string Scheme = "akka.trttl.tcp";

    private readonly IReadOnlyList<string> _overrides;
    private IHost? _host;

    internal ClusterNode(string name, int port, int remotePort, IReadOnlyList<string> overrides)
    {
        Name = name;
        Port = port;
        RemotePort = remotePort;
        _overrides = overrides;
    }

    public string Name { get; }

    /// <summary>The protocol (TCP) port clients connect to.</summary>
    public int Port { get; }

    public int RemotePort { get; }

    /// <summary>The node's cluster address as other nodes see it.</summary>
    public Address Address => new(Scheme, AkkaChatHostingExtensions.ActorSystemName, "127.0.0.1", RemotePort);

    /// <summary>The running node's actor system; null while it is stopped.</summary>
    public ActorSystem? System { get; private set; }

    public bool IsRunning => System is { WhenTerminated.IsCompleted: false };

    /// <summary>Everything this node logged, over all its starts.</summary>
    public NodeLog Log { get; } = new();

    public Task<ProtocolClient> ConnectAsync() => ProtocolClient.ConnectAsync(Port);

    internal async Task StartAsync()
    {
        var (host, _) = ChatNodeHost.Build(new NodeOptions(null, _overrides, false), logging =>
        {
            logging.AddProvider(Log);
            logging.SetMinimumLevel(LogLevel.Information);
        });
        await host.StartAsync();
        _host = host;
        System = host.Services.GetRequiredService<ActorSystem>();
        await AwaitListeningAsync(TimeSpan.FromSeconds(30));
    }

    private async Task AwaitListeningAsync(TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(50);
            }
            catch (SocketException e)
            {
                throw new TimeoutException($"{Name} did not accept clients on {Port} within {deadline}:\n{Log.Text}", e);
            }
        }
    }

    /// <summary>Graceful stop: clients are closed cleanly, the node leaves, its shards are handed off.</summary>
    internal async Task StopAsync()
    {
        if (_host is null)
        {
            return;
        }

        await _host.StopAsync();
        _host.Dispose();
        _host = null;
        System = null;
    }

    /// <summary>Abrupt end of the actor system: no leave, no handoff (links are cut first by the caller).</summary>
    internal async Task CrashAsync()
    {
        if (System is { } system)
        {
            await system.Terminate();
        }

        if (_host is not null)
        {
            try
            {
                await _host.StopAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // the actor system is already gone; nothing to stop gracefully
            }

            _host.Dispose();
            _host = null;
        }

        System = null;
    }

    /// <summary>Members this node sees Up, by address.</summary>
    public IReadOnlySet<Address> UpMembers() =>
        System is { } system
            ? Cluster.Get(system).State.Members.Where(m => m.Status == MemberStatus.Up).Select(m => m.Address).ToHashSet()
            : new HashSet<Address>();

    public IReadOnlySet<Address> UnreachableMembers() =>
        System is { } system ? Cluster.Get(system).State.Unreachable.Select(m => m.Address).ToHashSet() : new HashSet<Address>();

    /// <summary>Ids of the user shards this node hosts now.</summary>
    public async Task<IReadOnlySet<string>> HostedShardsAsync()
    {
        if (System is not { } system)
        {
            return new HashSet<string>();
        }

        var region = ClusterSharding.Get(system).ShardRegion(UserShard.TypeName);
        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
        return state.Shards.Select(s => s.ShardId).ToHashSet();
    }

    public override string ToString() => $"{Name} (clients :{Port}, cluster {Address})";
}
