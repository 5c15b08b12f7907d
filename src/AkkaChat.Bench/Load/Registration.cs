using System.Net;
using System.Net.Sockets;
using AkkaChat.Bench.Wire;
using Google.Protobuf;

namespace AkkaChat.Bench.Load;

/// <summary>A user of the run: its phone number, device token and, while it is online, its connection.</summary>
public sealed class BenchUser(int index, string phone)
{
    public int Index { get; } = index;

    public string Phone { get; } = phone;

    public ByteString Token { get; set; } = ByteString.Empty;

    public BenchConnection? Connection { get; set; }

    public bool Registered => !Token.IsEmpty;
}

/// <summary>Registers users in bulk, a bounded number at a time; each one stays connected and logged in.</summary>
public static class Registration
{
    public static async Task RegisterAsync(Func<BenchUser, AkkaChat.Client.Transport.ServerAddress> endpointOf, IReadOnlyList<BenchUser> users, int concurrency,
        WorkerMetrics metrics, CancellationToken cancellationToken)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(users, options, async (user, token) =>
        {
            BenchConnection? connection = null;
            try
            {
                connection = await BenchConnection.ConnectAsync(endpointOf(user), user.Phone, token);
                var ok = await connection.RegisterAsync(token);
                user.Token = ok.Token;
                user.Connection = connection;
                Interlocked.Increment(ref metrics.Registered);
                Interlocked.Increment(ref metrics.Connected);
            }
            catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
            {
                metrics.Error(ErrorCodeOf(e));
                if (connection is not null)
                {
                    await connection.DisposeAsync();
                }
            }
        });
    }

    /// <summary>What a failed step counts as: the node's ERROR code, or the way the socket failed.</summary>
    public static string ErrorCodeOf(Exception e) => e switch
    {
        BenchProtocolException p => p.Code,
        SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.TimedOut or SocketError.AddressNotAvailable } => "CONNECT_FAILED",
        SocketException or IOException => "CLOSED",
        _ => "EXCEPTION_" + e.GetType().Name,
    };
}
