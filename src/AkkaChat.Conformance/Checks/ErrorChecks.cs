using AkkaChat.Conformance.Wire;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;
using static AkkaChat.Conformance.CheckContext;

namespace AkkaChat.Conformance.Checks;

/// <summary>
/// Every error code of PROTOCOL.md that a client can provoke: UNAUTHENTICATED, AUTH_FAILED,
/// BAD_REQUEST, NOT_FOUND, RATE_LIMITED, TOO_LARGE, REPLACED, IDLE_TIMEOUT, OVERLOADED.
/// UNSUPPORTED_VERSION, UNKNOWN_TYPE and MALFORMED are under framing, FORBIDDEN under groups.
/// </summary>
public static class ErrorChecks
{
    private const string Area = "errors";

    public static IEnumerable<Check> All()
    {
        yield return new Check(Area, "unauthenticated_send_closes", "Before authentication only AUTH_* and PING are accepted; anything else gets ERROR{UNAUTHENTICATED} and close", async c =>
        {
            var conn = await c.ConnectAsync();
            await conn.SendAsync(new Send { ClientMsgId = NewId("u"), To = NewPhone(), Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("x") });
            await conn.ExpectErrorAsync(ErrorCode.Unauthenticated, c.Answer);
            await conn.ExpectClosedAsync(c.Answer, "UNAUTHENTICATED");
            return null;
        });

        yield return new Check(Area, "unauthenticated_ack_closes", "Before authentication only AUTH_* and PING are accepted; anything else gets ERROR{UNAUTHENTICATED} and close", async c =>
        {
            var conn = await c.ConnectAsync();
            await conn.SendAsync(new Ack { UpToSeq = 1 });
            await conn.ExpectErrorAsync(ErrorCode.Unauthenticated, c.Answer);
            await conn.ExpectClosedAsync(c.Answer, "UNAUTHENTICATED");
            return null;
        });

        yield return new Check(Area, "wrong_code_is_auth_failed_and_closes", "A wrong code or token: ERROR{AUTH_FAILED} and close", async c =>
        {
            var phone = NewPhone();
            var (conn, code, _) = await c.RequestCodeAsync(phone);
            await conn.SendAsync(new AuthVerify { Phone = phone, Code = WrongCode(code), DeviceName = "conformance" });
            await conn.ExpectErrorAsync(ErrorCode.AuthFailed, c.Answer);
            await conn.ExpectClosedAsync(c.Answer, "AUTH_FAILED");
            return null;
        });

        yield return new Check(Area, "wrong_token_is_auth_failed_and_closes", "A wrong code or token: ERROR{AUTH_FAILED} and close", async c =>
        {
            var user = await c.RegisterAsync();
            var wrong = user.Token.ToByteArray();
            wrong[0] ^= 0xFF;
            var conn = await c.ConnectAsync();
            await conn.SendAsync(new AuthLogin { Phone = user.Phone, Token = ByteString.CopyFrom(wrong) });
            await conn.ExpectErrorAsync(ErrorCode.AuthFailed, c.Answer);
            await conn.ExpectClosedAsync(c.Answer, "AUTH_FAILED");
            return null;
        });

        yield return new Check(Area, "login_of_unknown_user_is_auth_failed", "A wrong code or token: ERROR{AUTH_FAILED} and close", async c =>
        {
            var conn = await c.ConnectAsync();
            await conn.SendAsync(new AuthLogin { Phone = NewPhone(), Token = ByteString.CopyFrom(new byte[32]) });
            await conn.ExpectErrorAsync(ErrorCode.AuthFailed, c.Answer);
            await conn.ExpectClosedAsync(c.Answer, "AUTH_FAILED");
            return null;
        });

        yield return new Check(Area, "phone_not_in_e164_is_bad_request", "A user is a phone number in E.164 form: + then 8 to 15 digits. Anything else is ERROR{BAD_REQUEST}", async c =>
        {
            var seen = new List<string>();
            foreach (var bad in new[] { "15550001234", "+1234567", "+1234567890123456", "+1555-000-1234", "+١٢٣٤٥٦٧٨٩" })
            {
                var conn = await c.ConnectAsync();
                await conn.SendAsync(new AuthRequestCode { Phone = bad });
                await conn.ExpectErrorAsync(ErrorCode.BadRequest, c.Answer);
                seen.Add(await StaysOpenAsync(conn, c));
                await c.CloseAsync(conn);
            }

            // The spec does not say whether BAD_REQUEST closes; report what the server did.
            return $"saw BAD_REQUEST, then connection {string.Join("/", seen.Distinct())}";
        });

        yield return new Check(Area, "send_to_malformed_address_is_bad_request", "A user is a phone number in E.164 form; anything else is ERROR{BAD_REQUEST}", async c =>
        {
            var user = await c.RegisterAsync();
            var id = NewId("bad");
            await user.Connection.SendAsync(new Send { ClientMsgId = id, To = "5550001", Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("x") });
            var error = await user.Connection.ExpectErrorAsync(ErrorCode.BadRequest, c.Answer);
            await user.Connection.ExpectAliveAsync(c.Answer, "BAD_REQUEST for a SEND");
            return error.Ref == id ? "ref = client_msg_id" : $"ref = \"{error.Ref}\"";
        });

        yield return new Check(Area, "unknown_recipient_is_not_found_with_ref", "Unknown recipient: ERROR{NOT_FOUND, ref=client_msg_id}", async c =>
        {
            var user = await c.RegisterAsync();
            var id = NewId("nf");
            await user.Connection.SendAsync(new Send { ClientMsgId = id, To = NewPhone(), Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("x") });
            await user.Connection.ExpectErrorAsync(ErrorCode.NotFound, c.Answer, reference: id);
            var later = await user.Connection.DrainAsync(c.Quiet);
            Require(!later.Any(f => f.Message is SendAck a && a.ClientMsgId == id), "a SEND_ACK followed the NOT_FOUND");
            await user.Connection.ExpectAliveAsync(c.Answer, "NOT_FOUND");
            return null;
        });

        yield return new Check(Area, "over_rate_limit_is_rate_limited_with_ref_and_no_send_ack", "Over the sender's rate limit: ERROR{RATE_LIMITED, ref=client_msg_id}, no SEND_ACK, the connection stays open", async c =>
        {
            var sender = await c.RegisterAsync();
            var recipient = await c.RegisterAsync();
            await c.CloseAsync(recipient.Connection);
            var ids = new List<string>();
            string? limited = null;
            var acked = new HashSet<string>();
            const int batch = 100;
            while (limited is null && ids.Count < c.Options.RateLimitProbe)
            {
                var frames = new List<byte>();
                for (var i = 0; i < batch && ids.Count < c.Options.RateLimitProbe; i++)
                {
                    var id = $"rl-{ids.Count}-{Guid.NewGuid():N}";
                    ids.Add(id);
                    frames.AddRange(FrameWriter.ToBytes(new Send { ClientMsgId = id, To = recipient.Phone, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("r") }));
                }

                await sender.Connection.WriteAsync(frames.ToArray());
                while (limited is null && acked.Count < ids.Count)
                {
                    var frame = await sender.Connection.ReceiveAsync(c.Answer, "SEND_ACK or RATE_LIMITED")
                        ?? throw new CheckFailedException("the server closed the connection while being flooded with SENDs");
                    if (frame.Message is SendAck a)
                    {
                        acked.Add(a.ClientMsgId);
                    }
                    else if (frame.Message is Error e)
                    {
                        Require(e.Code == (uint)ErrorCode.RateLimited, $"got {WireConnection.Describe(frame)} while flooding");
                        Require(ids.Contains(e.Ref), $"RATE_LIMITED carries ref \"{e.Ref}\", not a client_msg_id of this sender");
                        limited = e.Ref;
                    }
                }
            }

            Require(limited is not null, $"no RATE_LIMITED after {ids.Count} SENDs written back to back (raise --rate-limit-probe if the server's limit is higher)");
            var rest = await sender.Connection.DrainAsync(c.Quiet);
            Require(!acked.Contains(limited!) && !rest.Any(f => f.Message is SendAck a && a.ClientMsgId == limited), $"the refused SEND {limited} also got a SEND_ACK");
            await sender.Connection.ExpectAliveAsync(c.Answer, "RATE_LIMITED");
            return $"first RATE_LIMITED after {ids.Count} SENDs written, {acked.Count} SEND_ACKs read";
        });

        yield return new Check(Area, "body_filling_a_frame_is_stored_or_too_large", "Payloads are at most 65,535 bytes; TOO_LARGE is an error code (the spec names no body limit)", async c =>
        {
            var sender = await c.RegisterAsync();
            var recipient = await c.RegisterAsync();
            var id = NewId("big");
            var send = new Send { ClientMsgId = id, To = recipient.Phone, Kind = (uint)MessageKind.Document };
            send.Body = ByteString.CopyFrom(new byte[FrameLayout.MaxPayloadSize - 200]);
            await sender.Connection.SendAsync(send);
            var frame = await sender.Connection.ExpectAsync<IMessage>(c.Answer, "SEND_ACK or ERROR{TOO_LARGE}", m => m is SendAck or Error);
            await sender.Connection.ExpectAliveAsync(c.Answer, "a SEND with a large body");
            if (frame is Error e)
            {
                Require(e.Code == (uint)ErrorCode.TooLarge && e.Ref == id, $"got ERROR{{{WireConnection.Name((ErrorCode)e.Code)}, ref={e.Ref}}}, expected SEND_ACK or TOO_LARGE with ref={id}");
                return $"saw TOO_LARGE for a {send.Body.Length}-byte body";
            }

            var deliver = await recipient.Connection.ExpectAsync<Deliver>(c.Answer, "the large DELIVER");
            Require(deliver.Body.Length == send.Body.Length, $"DELIVER body is {deliver.Body.Length} bytes, sent {send.Body.Length}");
            return $"saw a {send.Body.Length}-byte body stored and delivered";
        });

        yield return new Check(Area, "new_login_replaces_older_session", "One session per user: a new login closes the older connection with ERROR{REPLACED}", async c =>
        {
            var first = await c.RegisterAsync();
            var second = await c.LoginAsync(first.Phone, first.Token);
            await first.Connection.ExpectErrorAsync(ErrorCode.Replaced, c.Answer);
            await first.Connection.ExpectClosedAsync(c.Answer, "REPLACED");
            await second.Connection.ExpectAliveAsync(c.Answer, "replacing the older session");
            return null;
        });

        yield return new Check(Area, "silent_connection_gets_idle_timeout_and_closes", "A connection that sends nothing for the idle timeout gets ERROR{IDLE_TIMEOUT} and is closed", async c =>
        {
            var user = await c.RegisterAsync();
            var wait = c.Options.IdleTimeout + c.Answer;
            var started = DateTime.UtcNow;
            await user.Connection.ExpectErrorAsync(ErrorCode.IdleTimeout, wait);
            await user.Connection.ExpectClosedAsync(c.Answer, "IDLE_TIMEOUT");
            return $"closed after {(DateTime.UtcNow - started).TotalSeconds:0.#} s of silence";
        })
        { Timeout = o => o.IdleTimeout + o.AnswerTimeout * 3 };

        yield return new Check(Area, "connection_over_the_limit_gets_overloaded_and_closes", "A node at its connection limit answers a new connection with ERROR{OVERLOADED} and closes it", async c =>
        {
            var limit = c.Options.MaxConnections!.Value;
            var open = new List<WireConnection>();
            for (var i = 0; i < limit + 5; i++)
            {
                var conn = await c.ConnectAsync();
                var nonce = (ulong)i + 1;
                await conn.SendAsync(new Ping { Nonce = nonce });
                var frame = await conn.ExpectAsync<IMessage>(c.Answer, $"PONG or OVERLOADED on connection {i + 1}", m => m is Pong or Error);
                if (frame is Error e)
                {
                    Require(e.Code == (uint)ErrorCode.Overloaded, $"connection {i + 1} got ERROR{{{WireConnection.Name((ErrorCode)e.Code)}}}, expected OVERLOADED");
                    await conn.ExpectClosedAsync(c.Answer, "OVERLOADED");
                    foreach (var o in open)
                    {
                        await c.CloseAsync(o);
                    }

                    // The limit frees up again once connections close.
                    await AwaitAcceptedAsync(c);
                    return $"OVERLOADED on connection {i + 1} (limit {limit}, counting this kit's own)";
                }

                open.Add(conn);
            }

            throw new CheckFailedException($"{limit + 5} connections were all accepted with --max-connections {limit}");
        })
        { Requires = o => o.MaxConnections is null ? "pass --max-connections N (the node's akkachat.connection.max-connections) to observe it" : null };

        yield return new Check(Area, "internal_error_is_not_provoked", "12 INTERNAL", _ => Task.FromResult<string?>(null))
        { Requires = _ => "no request the spec defines provokes INTERNAL; a client treats it like any refusal" };
    }

    public static string WrongCode(string code) => code == "000000" ? "111111" : "000000";

    /// <summary>After an ERROR that PROTOCOL.md does not say closes: "open" or "closed".</summary>
    private static async Task<string> StaysOpenAsync(WireConnection conn, CheckContext c)
    {
        try
        {
            await conn.ExpectAliveAsync(c.Answer, "the error");
            return "open";
        }
        catch (CheckFailedException) when (conn.ClosedReason is not null)
        {
            return "closed";
        }
    }

    private static async Task AwaitAcceptedAsync(CheckContext c)
    {
        var until = DateTime.UtcNow + c.Answer;
        while (true)
        {
            var conn = await c.ConnectAsync();
            await conn.SendAsync(new Ping { Nonce = 5 });
            var frame = await conn.ReceiveAsync(c.Answer, "PONG after the connections closed");
            await c.CloseAsync(conn);
            if (frame?.Message is Pong)
            {
                return;
            }

            Require(DateTime.UtcNow < until, "the node still refused connections after the kit closed its own");
            await Task.Delay(200);
        }
    }
}
