using AkkaChat.Conformance.Wire;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;
using static AkkaChat.Conformance.CheckContext;

namespace AkkaChat.Conformance.Checks;

/// <summary>PROTOCOL.md "Frame": version, type, length, payload; PING/PONG keep-alive.</summary>
public static class FramingChecks
{
    private const string Area = "framing";

    // A type code PROTOCOL.md does not assign, in the client-to-server range.
    private const byte UnassignedType = 0x7E;

    public static IEnumerable<Check> All()
    {
        yield return new Check(Area, "ping_is_answered_by_pong_with_its_nonce", "PING is answered by PONG", async c =>
        {
            var conn = await c.ConnectAsync();
            var nonce = (ulong)Random.Shared.NextInt64(1, long.MaxValue);
            await conn.SendAsync(new Ping { Nonce = nonce });
            var pong = await conn.ExpectAsync<Pong>(c.Answer, "PONG");
            Require(pong.Nonce == nonce, $"PONG nonce {pong.Nonce}, PING nonce {nonce}");
            Require(pong.ServerTimeMs > 0, "PONG.server_time_ms is not set");
            return null;
        });

        yield return new Check(Area, "empty_payload_is_all_defaults", "Empty payload = all defaults", async c =>
        {
            var conn = await c.ConnectAsync();
            await conn.WriteAsync(WireConnection.Raw(FrameLayout.Version, (byte)FrameType.Ping, []));
            var pong = await conn.ExpectAsync<Pong>(c.Answer, "PONG to an empty PING");
            Require(pong.Nonce == 0, $"PONG nonce {pong.Nonce} for a PING with no nonce (default 0)");
            return null;
        });

        yield return new Check(Area, "frame_split_at_every_byte_is_read", "a stream of frames in both directions (a frame may arrive in pieces)", async c =>
        {
            var conn = await c.ConnectAsync();
            var frame = FrameWriter.ToBytes(new Ping { Nonce = 4242 });
            foreach (var b in frame)
            {
                await conn.WriteAsync(new[] { b });
                await Task.Yield();
            }

            var pong = await conn.ExpectAsync<Pong>(c.Answer, "PONG to a PING written byte by byte");
            Require(pong.Nonce == 4242, $"PONG nonce {pong.Nonce}, expected 4242");
            return null;
        });

        yield return new Check(Area, "several_frames_in_one_write_are_each_answered", "a stream of frames in both directions", async c =>
        {
            var conn = await c.ConnectAsync();
            var bytes = new List<byte>();
            for (ulong n = 1; n <= 5; n++)
            {
                bytes.AddRange(FrameWriter.ToBytes(new Ping { Nonce = n }));
            }

            await conn.WriteAsync(bytes.ToArray());
            for (ulong n = 1; n <= 5; n++)
            {
                var pong = await conn.ExpectAsync<Pong>(c.Answer, $"PONG {n} of 5");
                Require(pong.Nonce == n, $"PONG {n} of 5 carries nonce {pong.Nonce}: answers out of order");
            }

            return null;
        });

        yield return new Check(Area, "unknown_payload_fields_are_skipped", "payload is one protobuf (proto3) message (unknown fields are skipped)", async c =>
        {
            var conn = await c.ConnectAsync();
            // PING{nonce=77} followed by field 99 (varint 1), which PING does not define.
            var payload = new Ping { Nonce = 77 }.ToByteArray().Concat(new byte[] { 0x98, 0x06, 0x01 }).ToArray();
            await conn.WriteAsync(WireConnection.Raw(FrameLayout.Version, (byte)FrameType.Ping, payload));
            var pong = await conn.ExpectAsync<Pong>(c.Answer, "PONG to a PING with an extra field");
            Require(pong.Nonce == 77, $"PONG nonce {pong.Nonce}, expected 77");
            return null;
        });

        yield return new Check(Area, "other_version_is_unsupported_version_and_closes", "Any other version: ERROR{UNSUPPORTED_VERSION} and close", async c =>
        {
            var conn = await c.ConnectAsync();
            await conn.WriteAsync(WireConnection.Raw(2, (byte)FrameType.Ping, new Ping { Nonce = 1 }.ToByteArray()));
            await conn.ExpectErrorAsync(ErrorCode.UnsupportedVersion, c.Answer);
            await conn.ExpectClosedAsync(c.Answer, "UNSUPPORTED_VERSION");
            return null;
        });

        yield return new Check(Area, "unknown_type_is_answered_and_connection_stays_open", "Unknown type: ERROR{UNKNOWN_TYPE}; the connection stays open", async c =>
        {
            var user = await c.RegisterAsync();
            await user.Connection.WriteAsync(WireConnection.Raw(FrameLayout.Version, UnassignedType, [0x08, 0x01]));
            await user.Connection.ExpectErrorAsync(ErrorCode.UnknownType, c.Answer);
            await user.Connection.ExpectAliveAsync(c.Answer, "UNKNOWN_TYPE");
            return null;
        });

        yield return new Check(Area, "unknown_type_before_login", "Unknown type: UNKNOWN_TYPE; before authentication anything else is UNAUTHENTICATED", async c =>
        {
            // The spec's two sentences overlap here; docs/protocol.md reads UNKNOWN_TYPE (open),
            // UNAUTHENTICATED and close is the other reading. Both pass; the note says which.
            var conn = await c.ConnectAsync();
            await conn.WriteAsync(WireConnection.Raw(FrameLayout.Version, UnassignedType, []));
            var error = await conn.ExpectAsync<Error>(c.Answer, "ERROR for an unknown type before login");
            if (error.Code == (uint)ErrorCode.UnknownType)
            {
                await conn.ExpectAliveAsync(c.Answer, "UNKNOWN_TYPE before login");
                return "saw UNKNOWN_TYPE, connection open";
            }

            Require(error.Code == (uint)ErrorCode.Unauthenticated, $"got ERROR{{{WireConnection.Name((ErrorCode)error.Code)}}}, expected UNKNOWN_TYPE or UNAUTHENTICATED");
            await conn.ExpectClosedAsync(c.Answer, "UNAUTHENTICATED");
            return "saw UNAUTHENTICATED and close";
        });

        yield return new Check(Area, "server_type_sent_by_client_is_unknown_type", "Unknown type: ERROR{UNKNOWN_TYPE}; the connection stays open (a server-to-client code sent by a client)", async c =>
        {
            var user = await c.RegisterAsync();
            await user.Connection.WriteAsync(WireConnection.Raw(FrameLayout.Version, (byte)FrameType.Pong, new Pong { Nonce = 1 }.ToByteArray()));
            await user.Connection.ExpectErrorAsync(ErrorCode.UnknownType, c.Answer);
            await user.Connection.ExpectAliveAsync(c.Answer, "UNKNOWN_TYPE");
            return null;
        });

        yield return new Check(Area, "malformed_payload_is_malformed_and_closes", "A payload that is not valid protobuf for its type: ERROR{MALFORMED} and close", async c =>
        {
            var user = await c.RegisterAsync();
            // Field 1 (client_msg_id) as a length-delimited string whose length runs past the payload.
            await user.Connection.WriteAsync(WireConnection.Raw(FrameLayout.Version, (byte)FrameType.Send, [0x0A, 0x7F, 0x41]));
            await user.Connection.ExpectErrorAsync(ErrorCode.Malformed, c.Answer);
            await user.Connection.ExpectClosedAsync(c.Answer, "MALFORMED");
            return null;
        });

        yield return new Check(Area, "malformed_payload_before_login_closes", "A payload that is not valid protobuf for its type: ERROR{MALFORMED} and close", async c =>
        {
            var conn = await c.ConnectAsync();
            // A varint that never ends (ten continuation bytes) in AUTH_REQUEST_CODE.
            await conn.WriteAsync(WireConnection.Raw(FrameLayout.Version, (byte)FrameType.AuthRequestCode, [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]));
            await conn.ExpectErrorAsync(ErrorCode.Malformed, c.Answer);
            await conn.ExpectClosedAsync(c.Answer, "MALFORMED");
            return null;
        });

        yield return new Check(Area, "largest_payload_is_read", "Payloads are at most 65,535 bytes by construction", async c =>
        {
            // A PING carrying 65,535 payload bytes (nonce plus an unknown field filling the rest)
            // must be read as one frame and answered.
            var conn = await c.ConnectAsync();
            var nonce = new Ping { Nonce = 9 }.ToByteArray();
            var payload = nonce.Concat(UnknownField(FrameLayout.MaxPayloadSize - nonce.Length)).ToArray();
            await conn.WriteAsync(WireConnection.Raw(FrameLayout.Version, (byte)FrameType.Ping, payload));
            var pong = await conn.ExpectAsync<Pong>(c.Answer, $"PONG to a {payload.Length}-byte PING");
            Require(pong.Nonce == 9, $"PONG nonce {pong.Nonce}, expected 9");
            return $"{payload.Length}-byte payload";
        });
    }

    /// <summary>
    /// Field 99 (not defined by any payload) as a bytes field whose whole encoding is exactly
    /// <paramref name="size"/> bytes: a 2-byte tag, a 3-byte length (sizes 16 KiB to 2 MiB), the bytes.
    /// </summary>
    private static byte[] UnknownField(int size)
    {
        var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(99, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(new byte[size - 5]));
        output.Flush();
        return stream.ToArray();
    }
}
