using System.Text;
using AkkaChat.Conformance.Wire;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Conformance;

/// <summary>
/// What a check works with: the server's address, fresh random users, and its own connections, all
/// closed when the check ends. Every wait uses <see cref="Answer"/> or an explicit deadline.
/// </summary>
public sealed class CheckContext(KitOptions options) : IAsyncDisposable
{
    private readonly List<WireConnection> _connections = new();
    private bool _disposed;

    public KitOptions Options { get; } = options;

    public TimeSpan Answer => Options.AnswerTimeout;

    public TimeSpan Quiet => Options.QuietWindow;

    /// <summary>A phone number no earlier run used: + and 15 random digits, so reruns against the same server work.</summary>
    public static string NewPhone()
    {
        var digits = new StringBuilder("+");
        digits.Append((char)('1' + Random.Shared.Next(9)));
        for (var i = 0; i < 14; i++)
        {
            digits.Append((char)('0' + Random.Shared.Next(10)));
        }

        return digits.ToString();
    }

    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public async Task<WireConnection> ConnectAsync()
    {
        var connection = await WireConnection.ConnectAsync(Options.Host, Options.Port, Answer);
        bool late;
        lock (_connections)
        {
            // A probe that outlived its deadline keeps running until its next wait; it gets no new connections.
            late = _disposed;
            if (!late)
            {
                _connections.Add(connection);
            }
        }

        if (late)
        {
            await connection.DisposeAsync();
            throw new CheckFailedException("the check is over");
        }

        return connection;
    }

    /// <summary>Closes one of this check's connections now (the server sees the client go).</summary>
    public async Task CloseAsync(WireConnection connection)
    {
        lock (_connections)
        {
            _connections.Remove(connection);
        }

        await connection.DisposeAsync();
    }

    /// <summary>AUTH_REQUEST_CODE and the code, on a new connection; the connection stays unauthenticated.</summary>
    public async Task<(WireConnection Connection, string Code, AuthCodeSent Sent)> RequestCodeAsync(string phone)
    {
        var connection = await ConnectAsync();
        await connection.SendAsync(new AuthRequestCode { Phone = phone });
        var sent = await connection.ExpectAsync<AuthCodeSent>(Answer, "AUTH_CODE_SENT");
        var code = await Options.Codes.CodeForAsync(phone, sent.DevCode, Answer);
        return (connection, code, sent);
    }

    /// <summary>Registers a fresh user and leaves it logged in on the returned connection.</summary>
    public async Task<ChatSession> RegisterAsync(string? phone = null)
    {
        phone ??= NewPhone();
        var (connection, code, _) = await RequestCodeAsync(phone);
        await connection.SendAsync(new AuthVerify { Phone = phone, Code = code, DeviceName = "conformance" });
        var ok = await connection.ExpectAsync<AuthOk>(Answer, $"AUTH_OK for the registration of {phone}");
        return new ChatSession(phone, ok.Token, connection, ok);
    }

    /// <summary>AUTH_LOGIN on a new connection.</summary>
    public async Task<ChatSession> LoginAsync(string phone, ByteString token)
    {
        var connection = await ConnectAsync();
        await connection.SendAsync(new AuthLogin { Phone = phone, Token = token });
        var ok = await connection.ExpectAsync<AuthOk>(Answer, $"AUTH_OK for the login of {phone}");
        return new ChatSession(phone, token, connection, ok);
    }

    /// <summary>A SEND of a TEXT message and its SEND_ACK (ERRORs fail the check).</summary>
    public async Task<SendAck> SendTextAsync(ChatSession from, string to, string text, string? clientMsgId = null)
    {
        var id = clientMsgId ?? NewId("m");
        await from.Connection.SendAsync(new Send { ClientMsgId = id, To = to, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8(text) });
        return await from.Connection.ExpectAsync<SendAck>(Answer, $"SEND_ACK for {id}", a => a.ClientMsgId == id);
    }

    /// <summary>
    /// Makes the users each other's contacts: each sends CONTACTS_SYNC naming the other and reads its
    /// CONTACTS_RESULT, which must list the other as registered. A server may limit presence and
    /// status to synced (or mutual) contacts (docs/protocol.md); after this both readings let the
    /// two see each other.
    /// </summary>
    public async Task SyncMutuallyAsync(ChatSession a, ChatSession b)
    {
        foreach (var (owner, contact) in new[] { (a, b), (b, a) })
        {
            await owner.Connection.SendAsync(new ContactsSync { Phones = { contact.Phone } });
            var result = await owner.Connection.ExpectAsync<ContactsResult>(Answer, $"CONTACTS_RESULT for {owner.Phone}");
            Require(result.Registered.Contains(contact.Phone), $"{contact.Phone} is registered but not in {owner.Phone}'s CONTACTS_RESULT");
        }
    }

    /// <summary>Fails the check with <paramref name="reason"/> unless <paramref name="condition"/> holds.</summary>
    public static void Require(bool condition, string reason)
    {
        if (!condition)
        {
            throw new CheckFailedException(reason);
        }
    }

    public async ValueTask DisposeAsync()
    {
        WireConnection[] open;
        lock (_connections)
        {
            _disposed = true;
            open = _connections.ToArray();
            _connections.Clear();
        }

        foreach (var connection in open)
        {
            await connection.DisposeAsync();
        }
    }
}

/// <summary>A logged-in user: phone, device token, the connection, and the AUTH_OK it got.</summary>
public sealed record ChatSession(string Phone, ByteString Token, WireConnection Connection, AuthOk Ok);
