using AkkaChat.Client.Internal;
using AkkaChat.Client.Wire;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Client;

/// <summary>The reconnect loop: after a lost connection, back off, connect to the next server, log in again.</summary>
public sealed partial class AkkaChatClient
{
    /// <summary>Waits for the session's connection to end, then reconnects and logs in again until that works or the session is over.</summary>
    private async Task KeepSessionAsync(WireConnection connection)
    {
        var attempt = 0;
        while (true)
        {
            var closed = await connection.Closed;
            SetNotReady(connection);
            await connection.DisposeAsync();
            if (_lifetime.IsCancellationRequested)
            {
                return;
            }

            if (closed.Error is { } error && ProtocolRules.EndsSession(error.ErrorCode))
            {
                Terminate(new AkkaChatException(error.ErrorCode, error.Message));
                return;
            }

            SetState(ConnectionState.Reconnecting);
            while (true)
            {
                try
                {
                    await Task.Delay(Backoff.Delay(attempt++, Options.ReconnectInitialDelay, Options.ReconnectMaxDelay, Random.Shared), _lifetime.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                WireConnection? next = null;
                try
                {
                    next = await OpenNextAsync(Options.ConnectTimeout, _lifetime.Token);
                    next.StartReceiving(_inbound);
                    Credentials credentials;
                    lock (_gate)
                    {
                        _connection = next;
                        credentials = _credentials!;
                    }

                    await next.RequestAsync<AuthOk>(new AuthLogin { Phone = credentials.Phone, Token = ByteString.CopyFrom(credentials.Token) }, Options.RequestTimeout, _lifetime.Token);
                    BeginSessionOn(next);
                    connection = next;
                    attempt = 0;
                    break;
                }
                catch (AkkaChatException e) when (e.IsTerminal)
                {
                    Terminate(e);
                    return;
                }
                catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception)
                {
                    // Refused, timed out, lost during login, OVERLOADED: try again after the next delay.
                    if (next is not null)
                    {
                        await next.DisposeAsync();
                    }
                }
            }
        }
    }

    private void SetNotReady(WireConnection connection)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_connection, connection) && _ready)
            {
                _ready = false;
                _readySignal = NewSignal();
            }
        }
    }

    /// <summary>The session's connection once it is logged in and open; waits through reconnects.</summary>
    private async Task<WireConnection> WhenReadyAsync(CancellationToken ct)
    {
        while (true)
        {
            Task ready;
            lock (_gate)
            {
                ThrowIfUnusable();
                if (_credentials is null)
                {
                    throw new InvalidOperationException("log in first (VerifyAsync or LoginAsync)");
                }

                if (_ready && _connection is { IsClosed: false } open)
                {
                    return open;
                }

                if (_ready)
                {
                    _ready = false;
                    _readySignal = NewSignal();
                }

                ready = _readySignal.Task;
            }

            await ready.WaitAsync(ct);
        }
    }
}
