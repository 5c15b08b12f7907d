using System.Net;
using System.Net.NetworkInformation;
using Akka.Actor;
using Akka.Cluster;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AkkaChat.Node.Web;

/// <summary>
/// <c>GET /healthz</c>: the process is alive (its actor system runs): 200 or 503.
/// <c>GET /readyz</c>: the node can serve clients: its protocol port is listening, its journal's
/// database answers, and it is an Up member of its cluster; 200 or 503, with one line per check,
/// for load balancers and orchestrators. Neither needs a token.
/// </summary>
internal static class HealthEndpoints
{
    public static void MapHealth(this IEndpointRouteBuilder app, ActorSystem system, AkkaChatSettings node, WebSettings web)
    {
        app.MapGet("/healthz", async context =>
        {
            var alive = !system.WhenTerminated.IsCompleted;
            context.Response.StatusCode = alive ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync(alive ? "alive\n" : "actor system terminated\n");
        });
        app.MapGet("/readyz", async context =>
        {
            var (ready, report) = await ReadinessAsync(system, node, web.ReadinessDatabaseTimeout, context.RequestAborted);
            context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync(report);
        });
    }

    /// <summary>Each check, one line "name: ok" or "name: problem".</summary>
    private static async Task<(bool Ready, string Report)> ReadinessAsync(ActorSystem system, AkkaChatSettings node, TimeSpan databaseTimeout, CancellationToken cancellationToken)
    {
        var results = new[]
        {
            ("listener", Listening(node)),
            ("journal", await JournalAsync(node, databaseTimeout, cancellationToken)),
            ("member", Member(system)),
        };
        return (results.All(r => r.Item2 is null), string.Concat(results.Select(r => $"{r.Item1}: {r.Item2 ?? "ok"}\n")));
    }

    /// <summary>Null when a socket listens on the protocol port (the node's own: a second one could not bind it).</summary>
    private static string? Listening(AkkaChatSettings node)
    {
        var endpoints = IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners();
        var host = IPAddress.TryParse(node.ListenHost, out var address) ? address : null;
        return endpoints.Any(e => e.Port == node.ListenPort && (host is null || e.Address.Equals(host) || e.Address.Equals(IPAddress.Any) || e.Address.Equals(IPAddress.IPv6Any)))
            ? null
            : $"nothing listens on {node.ListenHost}:{node.ListenPort}";
    }

    private static async Task<string?> JournalAsync(AkkaChatSettings node, TimeSpan databaseTimeout, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(databaseTimeout); // akkachat.web.readiness-database-timeout
        try
        {
            await using System.Data.Common.DbConnection connection = node.Storage == StorageProvider.Sqlite
                ? new SqliteConnection($"Data Source={NodeConfig.SqliteFile(node)};Mode=ReadOnly")
                : new NpgsqlConnection(node.StorageConnectionString);
            await connection.OpenAsync(timeout.Token);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync(timeout.Token);
            return null;
        }
        catch (Exception e) when (e is System.Data.Common.DbException or OperationCanceledException or InvalidOperationException)
        {
            return $"the journal's database does not answer: {e.Message}";
        }
    }

    private static string? Member(ActorSystem system)
    {
        var self = Cluster.Get(system).SelfMember;
        return self.Status == MemberStatus.Up ? null : $"cluster member status is {self.Status}";
    }
}
