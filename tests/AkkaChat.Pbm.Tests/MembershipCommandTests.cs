using System.Text.RegularExpressions;
using AkkaChat.TestKit;

namespace AkkaChat.Pbm.Tests;

/// <summary>
/// join, leave, down and down-unreachable through pbm, on a process cluster without the split brain
/// resolver (so that only the operator downs a lost member), watched by <c>cluster tail</c>.
/// </summary>
[Trait("Category", "Slow")]
public sealed class MembershipCommandTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Members_join_leave_and_are_downed_through_pbm()
    {
        await using var cluster = await ProcessCluster.StartAsync(3, "akkachat.cluster.split-brain-resolver.active-strategy = off");
        var ports = new List<int>();
        foreach (var node in cluster.Nodes)
        {
            ports.Add(await PbmProcess.ManagementPortAsync(node));
        }

        async Task<string> AddressOf(int port) => (await PbmProcess.RunAsync(port, null, "cluster", "status")).Lines.Single().Split(" | ")[0];
        async Task<PbmResult> ShowUntil(Func<PbmResult, bool> done)
        {
            var until = DateTime.UtcNow + Deadline;
            while (true)
            {
                var show = await PbmProcess.RunAsync(ports[0], null, "cluster", "show");
                if (done(show))
                {
                    return show;
                }

                Assert.True(DateTime.UtcNow < until, $"cluster show never got there; last:\n{show}\n{cluster.Report()}");
                await Task.Delay(300);
            }
        }

        var first = await AddressOf(ports[0]);

        // A fourth node whose only seed is nowhere: it waits, until pbm tells it to join.
        var connectionString = Regex.Match(File.ReadAllText(cluster.Nodes[0].ConfigFile), "akkachat.storage.connection-string = \"([^\"]+)\"").Groups[1].Value;
        await using var extra = await NodeProcess.StartAsync(
            $$"""
            akkachat.node-name = "node-4"
            akkachat.storage.provider = postgresql
            akkachat.storage.connection-string = "{{connectionString}}"
            akkachat.cluster.port = {{NodeProcess.FreePort()}}
            akkachat.cluster.seed-nodes = ["akka.tcp://akkachat@127.0.0.1:{{NodeProcess.FreePort()}}"]
            akkachat.cluster.split-brain-resolver.active-strategy = off
            """,
            name: "node-4");
        var extraPort = await PbmProcess.ManagementPortAsync(extra);
        var extraAddress = await AddressOf(extraPort);
        Assert.Equal($"{extraAddress} | [] | not a member |", (await PbmProcess.RunAsync(extraPort, null, "cluster", "status")).Lines.Single());

        await using var tail = await ManagementClient.ConnectAsync(new HostAddress("127.0.0.1", ports[1]), null, CancellationToken.None);
        using var stopTail = new CancellationTokenSource(Deadline);
        var events = new List<string>();
        var tailing = tail.RunAsync(["cluster", "tail"], line =>
        {
            lock (events)
            {
                events.Add(line);
                if (line.Contains($"MemberUp: {extraAddress} "))
                {
                    stopTail.Cancel();
                }
            }
        }, stopTail.Token);

        var join = await PbmProcess.RunAsync(extraPort, null, "cluster", "join", first);
        Assert.Equal($"Joining {first}", join.Lines.Single());
        await ShowUntil(s => s.Lines.Contains("Count: 4 nodes") && s.Lines.Contains($"{extraAddress} | [] | up |"));
        Assert.True((await tailing).Ok);
        lock (events)
        {
            Assert.Contains(events, e => e.Contains($"MemberUp: {extraAddress} | [] | up |"));
        }

        var leave = await PbmProcess.RunAsync(ports[0], null, "cluster", "leave", extraAddress);
        Assert.Equal($"Asked {extraAddress} to leave the cluster", leave.Lines.Single());
        await ShowUntil(s => s.Lines.Contains("Count: 3 nodes") && !s.Output.Contains(extraAddress));

        var third = await AddressOf(ports[2]);
        await cluster.Nodes[2].KillAsync();
        var unreachable = await ShowUntil(s => s.Lines.Contains($"{third} | [] | up | unreachable |"));
        Assert.Contains("Count: 3 nodes", unreachable.Lines);
        var down = await PbmProcess.RunAsync(ports[0], null, "cluster", "down", third);
        Assert.Equal($"Marked {third} down", down.Lines.Single());
        await ShowUntil(s => s.Lines.Contains("Count: 2 nodes") && !s.Output.Contains(third));

        var second = await AddressOf(ports[1]);
        await cluster.Nodes[1].KillAsync();
        await ShowUntil(s => s.Lines.Contains($"{second} | [] | up | unreachable |"));
        var downAll = await PbmProcess.RunAsync(ports[0], null, "cluster", "down-unreachable");
        Assert.Equal([$"Marked {second} down", "Downed 1 unreachable member(s)"], downAll.Lines);
        var alone = await ShowUntil(s => s.Lines.Contains("Count: 1 nodes"));
        Assert.Equal($"{first} | [] | up |", alone.Lines[0]);

        var notMember = await PbmProcess.RunAsync(ports[0], null, "cluster", "down", third);
        Assert.Equal(1, notMember.ExitCode);
        Assert.Contains("is not a member of this cluster", notMember.Errors);
    }
}
