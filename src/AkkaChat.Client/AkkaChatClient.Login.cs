using AkkaChat.Client.Wire;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Client;

/// <summary>Opening a connection to the next server of the list, registration, login, and the start of a session.</summary>
public sealed partial class AkkaChatClient
{
    // ---- connection, registration, login ----

    /// <summary>Opens the TCP connection now (the registration and login calls open it when needed).</summary>
    public async Task ConnectAsync(CancellationToken ct = default)
    {
        await _authLock.WaitAsync(ct);
        try
        {
            await EnsureConnectedAsync(ct);
        }
        finally
        {
            _authLock.Release();
        }
    }

    /// <summary>
    /// AUTH_REQUEST_CODE: the node issues a registration code for <paramref name="phone"/> and sends it
    /// by SMS; <see cref="AuthCodeSent.DevCode"/> carries it when the node reveals codes (development).
    /// </summary>
    public async Task<AuthCodeSent> RequestCodeAsync(string phone, CancellationToken ct = default)
    {
        var number = ParsePhone(phone);
        return await AuthExchangeAsync(conn => conn.RequestAsync<AuthCodeSent>(new AuthRequestCode { Phone = number }, Options.RequestTimeout, ct), ct);
    }

    /// <summary>
    /// AUTH_VERIFY: registers this device with the code and logs in. The returned credentials log
    /// the device in again later (<see cref="LoginAsync"/>); store them. A wrong code throws
    /// <see cref="AkkaChatException"/> with AUTH_FAILED (the node closes that connection).
    /// </summary>
    public async Task<Credentials> VerifyAsync(string phone, string code, string deviceName, CancellationToken ct = default)
    {
        var number = ParsePhone(phone);
        await OpenEncryptionAsync(number, ct);
        var registered = await AuthExchangeAsync(async conn =>
        {
            var ok = await conn.RequestAsync<AuthOk>(new AuthVerify { Phone = number, Code = code, DeviceName = deviceName }, Options.RequestTimeout, ct);
            var credentials = new Credentials(number, ok.Token.ToByteArray());
            StartSession(conn, credentials);
            return credentials;
        }, ct);
        await PublishKeysAsync(ct);
        return registered;
    }

    /// <summary>
    /// AUTH_LOGIN with stored credentials. From here on the client keeps the session (reconnects,
    /// retries). With encryption on, it returns once this device's keys are on the node (see .Encryption). Throws <see cref="AkkaChatException"/> with AUTH_FAILED for an unknown phone or token.
    /// </summary>
    public async Task<LoginResult> LoginAsync(Credentials credentials, CancellationToken ct = default)
    {
        var number = ParsePhone(credentials.Phone);
        await OpenEncryptionAsync(number, ct);
        var login = await AuthExchangeAsync(async conn =>
        {
            var ok = await conn.RequestAsync<AuthOk>(new AuthLogin { Phone = number, Token = ByteString.CopyFrom(credentials.Token) }, Options.RequestTimeout, ct);
            StartSession(conn, credentials with { Phone = number });
            return new LoginResult(number, ok.Node, ok.Pending, DateTimeOffset.FromUnixTimeMilliseconds(ok.ServerTimeMs));
        }, ct);
        await PublishKeysAsync(ct);
        return login;
    }

    private async Task<T> AuthExchangeAsync<T>(Func<WireConnection, Task<T>> exchange, CancellationToken ct)
    {
        await _authLock.WaitAsync(ct);
        try
        {
            lock (_gate)
            {
                ThrowIfUnusable();
                if (_credentials is not null)
                {
                    throw new InvalidOperationException($"already logged in as {_credentials.Phone}");
                }
            }

            return await exchange(await EnsureConnectedAsync(ct));
        }
        finally
        {
            _authLock.Release();
        }
    }

    /// <summary>
    /// Connects to the next server of the list: each attempt, first or after a lost connection,
    /// moves one entry on, so a client whose node died tries the others in turn.
    /// </summary>
    private Task<WireConnection> OpenNextAsync(TimeSpan timeout, CancellationToken ct)
    {
        var index = (int)((uint)Interlocked.Increment(ref _nextServer) - 1) % _servers.Count;
        return WireConnection.OpenAsync(_servers[index], timeout, ct);
    }

    private async Task<WireConnection> EnsureConnectedAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            if (_connection is { IsClosed: false } open)
            {
                return open;
            }
        }

        SetState(ConnectionState.Connecting);
        WireConnection connection;
        var attempts = 0;
        while (true)
        {
            try
            {
                connection = await OpenNextAsync(Options.ConnectTimeout, ct);
                break;
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or TimeoutException && ++attempts < _servers.Count)
            {
                // that server is down or unreachable: try the next one of the list
            }
            catch
            {
                SetState(ConnectionState.Disconnected);
                throw;
            }
        }

        connection.StartReceiving(_inbound);
        lock (_gate)
        {
            _connection = connection;
        }

        _ = connection.Closed.ContinueWith(_ =>
        {
            bool stillCurrentWithoutSession;
            lock (_gate)
            {
                stillCurrentWithoutSession = ReferenceEquals(_connection, connection) && _credentials is null;
            }

            if (stillCurrentWithoutSession)
            {
                SetState(ConnectionState.Disconnected);
            }
        }, TaskScheduler.Default);
        SetState(ConnectionState.Connected);
        return connection;
    }

    private void StartSession(WireConnection connection, Credentials credentials)
    {
        lock (_gate)
        {
            _credentials = credentials;
        }

        BeginSessionOn(connection);
        _session = Task.Run(() => KeepSessionAsync(connection));
        _ackWriter = Task.Run(WriteAcksAsync);
        _sendWriter = Task.Run(WriteSendsAsync);
        _keepAlive = StartKeepAlive();
    }

    /// <summary>
    /// Makes a logged-in connection the session's. The send writer then writes every pending send
    /// to it again, in order, before any newer one.
    /// </summary>
    private void BeginSessionOn(WireConnection connection)
    {
        lock (_gate)
        {
            if (_terminal is not null || _disposed != 0)
            {
                return;
            }

            _connection = connection;
            _ready = true;
            _readySignal.TrySetResult();
        }

        SetState(ConnectionState.Ready);
        WakeSendWriter();
        WakeAckWriter(); // the new connection has acknowledged nothing yet
    }
}
