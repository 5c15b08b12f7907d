using System.Net;
using System.Net.Sockets;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Client.Tests;

/// <summary>
/// The SDK against a one-connection server of the test's own that answers the first SEND
/// ERROR{OVERLOADED, ref=client_msg_id} and every later one SEND_ACK.
/// </summary>
public sealed class OverloadedSendTests
{
    [Fact]
    public async Task A_send_answered_overloaded_with_its_ref_fails_as_retryable_and_the_next_send_succeeds_on_the_same_connection()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = ServeAsync(listener);
        var options = new ClientOptions
        {
            Host = "127.0.0.1",
            Port = ((IPEndPoint)listener.LocalEndpoint).Port,
            Encryption = false,
        };

        await using (var client = new AkkaChatClient(options))
        {
            await client.LoginAsync(new Credentials("+15550001", new byte[32]));

            var refused = await Assert.ThrowsAsync<AkkaChatException>(() => client.SendTextAsync("+15550002", "first", "c-1"));
            Assert.Equal((ErrorCode.Overloaded, "c-1"), (refused.Code, refused.Ref));
            Assert.True(refused.IsRetryable);
            Assert.False(refused.IsTerminal);

            var ack = await client.SendTextAsync("+15550002", "first", "c-1").WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("c-1", ack.ClientMsgId);
        }

        Assert.Equal(1, await server.WaitAsync(TimeSpan.FromSeconds(10))); // one connection: no reconnect in between
    }

    /// <summary>Serves connections until the client closes one; returns how many it accepted.</summary>
    private static async Task<int> ServeAsync(TcpListener listener)
    {
        var accepted = 0;
        var sends = 0;
        using var socket = await listener.AcceptTcpClientAsync();
        accepted++;
        listener.Stop(); // a reconnect would be refused, and fail the second send
        var stream = socket.GetStream();
        while (await ReadFrameAsync(stream) is { } frame)
        {
            IMessage? answer = frame.Message switch
            {
                AuthLogin => new AuthOk { ServerTimeMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Node = "test" },
                Send send when sends++ == 0 => Error.Of(ErrorCode.Overloaded, "the node is overloaded; not stored, send it again later", send.ClientMsgId),
                Send send => new SendAck { ClientMsgId = send.ClientMsgId, ServerMsgId = "0190c0de0000700080000000000000a1", ServerTimeMs = 1 },
                Ping ping => new Pong { Nonce = ping.Nonce },
                _ => null,
            };
            if (answer is not null)
            {
                await stream.WriteAsync(FrameWriter.ToBytes(answer));
            }
        }

        return accepted;
    }

    private static async Task<Frame?> ReadFrameAsync(NetworkStream stream)
    {
        var header = new byte[FrameLayout.HeaderSize];
        if (!await ReadExactlyAsync(stream, header))
        {
            return null;
        }

        var payload = new byte[(header[2] << 8) | header[3]];
        if (!await ReadExactlyAsync(stream, payload))
        {
            return null;
        }

        return FrameReader.ReadSingle(header.Concat(payload).ToArray());
    }

    private static async Task<bool> ReadExactlyAsync(NetworkStream stream, byte[] buffer)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer);
            return true;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            return false;
        }
    }
}
