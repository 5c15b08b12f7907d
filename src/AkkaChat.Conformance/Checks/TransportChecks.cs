using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;
using NSec.Cryptography;
using static AkkaChat.Conformance.CheckContext;

namespace AkkaChat.Conformance.Checks;

/// <summary>PROTOCOL.md "Keys for end-to-end encryption", "Media" (HTTP) and the WebSocket transport.</summary>
public static class TransportChecks
{
    public static IEnumerable<Check> All()
    {
        yield return new Check("keys", "fetch_returns_a_bundle_and_consumes_one_prekey", "KEYS_FETCH returns a KEY_BUNDLE, consuming one one-time prekey", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            var upload = Upload(12);
            await alice.Connection.SendAsync(upload);
            await alice.Connection.ExpectAliveAsync(c.Answer, "KEYS_UPLOAD");
            await bob.Connection.SendAsync(new KeysFetch { Phone = alice.Phone });
            var first = await bob.Connection.ExpectAsync<KeyBundle>(c.Answer, "KEY_BUNDLE");
            Require(first.Phone == alice.Phone, $"KEY_BUNDLE.phone {first.Phone}, fetched {alice.Phone}");
            Require(first.IdentityKey == upload.IdentityKey, $"KEY_BUNDLE.identity_key ({first.IdentityKey.Length} bytes) is not the identity key uploaded");
            Require(upload.SignedPrekey.Equals(first.SignedPrekey), "KEY_BUNDLE.signed_prekey is not the signed prekey uploaded");
            Require(first.OneTimePrekey is not null && first.Remaining == 11, $"one-time prekey {(first.OneTimePrekey is null ? "absent" : "present")}, remaining {first.Remaining} (uploaded 12)");
            Require(upload.OneTimePrekeys.Contains(first.OneTimePrekey!), $"one-time prekey {first.OneTimePrekey!.Id} is not one of those uploaded");
            await bob.Connection.SendAsync(new KeysFetch { Phone = alice.Phone });
            var second = await bob.Connection.ExpectAsync<KeyBundle>(c.Answer, "the second KEY_BUNDLE");
            Require(second.OneTimePrekey is not null && second.OneTimePrekey.Id != first.OneTimePrekey!.Id, "the same one-time prekey was handed out twice");
            Require(second.Remaining == 10, $"remaining {second.Remaining} after the second fetch of 12 uploaded");
            return KeyFormat;
        });

        yield return new Check("keys", "bundle_without_prekeys_left_has_none", "a one-time prekey is absent when none are left", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            var upload = Upload(0);
            await alice.Connection.SendAsync(upload);
            await alice.Connection.ExpectAliveAsync(c.Answer, "KEYS_UPLOAD");
            await bob.Connection.SendAsync(new KeysFetch { Phone = alice.Phone });
            var b = await bob.Connection.ExpectAsync<KeyBundle>(c.Answer, "KEY_BUNDLE");
            Require(b.OneTimePrekey is null && b.Remaining == 0, "a one-time prekey came with none uploaded");
            Require(b.IdentityKey == upload.IdentityKey && upload.SignedPrekey.Equals(b.SignedPrekey), "the bundle without one-time prekeys lacks the identity key or signed prekey uploaded");
            return KeyFormat;
        });

        yield return new Check("keys", "stock_below_10_sends_keys_low", "When a user's stock falls below 10 the server sends KEYS_LOW", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            await alice.Connection.SendAsync(Upload(10));
            await alice.Connection.ExpectAliveAsync(c.Answer, "KEYS_UPLOAD");
            await bob.Connection.SendAsync(new KeysFetch { Phone = alice.Phone });
            await bob.Connection.ExpectAsync<KeyBundle>(c.Answer, "KEY_BUNDLE");
            var low = await alice.Connection.ExpectAsync<KeysLow>(c.Answer, "KEYS_LOW");
            Require(low.Remaining == 9, $"KEYS_LOW.remaining = {low.Remaining}, expected 9");
            return KeyFormat;
        });

        yield return new Check("media", "upload_answers_media_id_and_download_returns_the_bytes", "POST /v1/media answers JSON {media_id, expires_at_ms}; GET /v1/media/{media_id} returns the bytes", async c =>
        {
            var alice = await c.RegisterAsync();
            using var http = Http(c);
            var bytes = new byte[10_000];
            Random.Shared.NextBytes(bytes);
            var (id, expires) = await UploadAsync(http, alice, bytes);
            Require(expires > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "expires_at_ms is in the past");
            using var get = new HttpRequestMessage(HttpMethod.Get, $"/v1/media/{Uri.EscapeDataString(id)}");
            get.Headers.Authorization = Bearer(alice);
            using var got = await http.SendAsync(get);
            Require(got.StatusCode == HttpStatusCode.OK, $"GET answered {(int)got.StatusCode}");
            Require((await got.Content.ReadAsByteArrayAsync()).SequenceEqual(bytes), "GET returned other bytes than were uploaded");
            return null;
        });

        yield return new Check("media", "upload_without_authorization_is_refused", "header Authorization: Bearer <phone>:<base64 token>", async c =>
        {
            using var http = Http(c);
            using var post = new HttpRequestMessage(HttpMethod.Post, "/v1/media") { Content = new ByteArrayContent([1, 2, 3]) };
            post.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var answer = await http.SendAsync(post);
            Require((int)answer.StatusCode is >= 400 and < 500, $"an upload without Authorization answered {(int)answer.StatusCode}");
            return $"saw HTTP {(int)answer.StatusCode}";
        });

        yield return new Check("media", "send_names_uploaded_media", "A SEND names it in media_id", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            using var http = Http(c);
            var (id, _) = await UploadAsync(http, alice, [9, 8, 7]);
            var msgId = NewId("md");
            await alice.Connection.SendAsync(new Send { ClientMsgId = msgId, To = bob.Phone, Kind = (uint)MessageKind.Image, MediaId = id });
            await alice.Connection.ExpectAsync<SendAck>(c.Answer, "SEND_ACK", a => a.ClientMsgId == msgId);
            var d = await bob.Connection.ExpectAsync<Deliver>(c.Answer, "DELIVER with media_id");
            Require(d.MediaId == id, $"DELIVER.media_id \"{d.MediaId}\", sent {id}");
            return null;
        });

        yield return new Check("websocket", "one_frame_per_binary_message", "ws://HOST:4780/v1/ws: one frame per binary WebSocket message, same bytes", async c =>
        {
            using var ws = await OpenWebSocketAsync(c);
            await SendWsAsync(ws, new Ping { Nonce = 31 }, c);
            var frame = await ReceiveWsAsync(ws, c);
            Require(frame.Message is Pong { Nonce: 31 }, $"got {frame.Type} instead of PONG{{31}}");
            return null;
        });

        yield return new Check("websocket", "register_and_receive_over_websocket", "WebSocket carries the same frames as TCP", async c =>
        {
            var alice = await c.RegisterAsync();
            using var ws = await OpenWebSocketAsync(c);
            var phone = NewPhone();
            await SendWsAsync(ws, new AuthRequestCode { Phone = phone }, c);
            var sent = await ExpectWsAsync<AuthCodeSent>(ws, c, "AUTH_CODE_SENT");
            var code = await c.Options.Codes.CodeForAsync(phone, sent.DevCode, c.Answer);
            await SendWsAsync(ws, new AuthVerify { Phone = phone, Code = code, DeviceName = "conformance-ws" }, c);
            await ExpectWsAsync<AuthOk>(ws, c, "AUTH_OK");
            var ack = await c.SendTextAsync(alice, phone, "over ws");
            var d = await ExpectWsAsync<Deliver>(ws, c, "DELIVER");
            Require(d.ServerMsgId == ack.ServerMsgId, "the DELIVER over WebSocket is not the message sent");
            return null;
        });
    }

    /// <summary>The note of every keys check: the format the kit uploads.</summary>
    private const string KeyFormat = "uploaded as docs/protocol.md fixes: 64-byte identity key X25519||Ed25519, X25519 prekeys, signed prekey signed by the Ed25519 key";

    /// <summary>
    /// A KEYS_UPLOAD of fresh keys in the one format docs/protocol.md fixes for fields the spec leaves
    /// open: identity_key is 64 bytes, the X25519 identity key then the Ed25519 signing key; every
    /// prekey is a raw 32-byte X25519 public key; the signed prekey carries the 64-byte Ed25519
    /// signature over its public key alone. A server that does not look into the keys accepts it as
    /// well as one that checks them; the private keys are dropped, since the kit decrypts nothing.
    /// </summary>
    internal static KeysUpload Upload(int oneTime)
    {
        using var identity = Key.Create(KeyAgreementAlgorithm.X25519);
        using var signing = Key.Create(SignatureAlgorithm.Ed25519);
        var signedPrekey = X25519PublicKey();
        var upload = new KeysUpload
        {
            IdentityKey = ByteString.CopyFrom([.. identity.PublicKey.Export(KeyBlobFormat.RawPublicKey), .. signing.PublicKey.Export(KeyBlobFormat.RawPublicKey)]),
            SignedPrekey = new SignedPreKey
            {
                Id = 1,
                PublicKey = ByteString.CopyFrom(signedPrekey),
                Signature = ByteString.CopyFrom(SignatureAlgorithm.Ed25519.Sign(signing, signedPrekey)),
            },
        };
        for (uint i = 1; i <= oneTime; i++)
        {
            upload.OneTimePrekeys.Add(new PreKey { Id = 100 + i, PublicKey = ByteString.CopyFrom(X25519PublicKey()) });
        }

        return upload;
    }

    private static byte[] X25519PublicKey()
    {
        using var key = Key.Create(KeyAgreementAlgorithm.X25519);
        return key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    private static HttpClient Http(CheckContext c) =>
        new() { BaseAddress = new Uri($"http://{c.Options.Host}:{c.Options.WebPort}"), Timeout = c.Answer };

    private static AuthenticationHeaderValue Bearer(ChatSession user) =>
        new("Bearer", $"{user.Phone}:{Convert.ToBase64String(user.Token.ToByteArray())}");

    private static async Task<(string Id, long ExpiresAtMs)> UploadAsync(HttpClient http, ChatSession user, byte[] bytes)
    {
        using var post = new HttpRequestMessage(HttpMethod.Post, "/v1/media") { Content = new ByteArrayContent(bytes) };
        post.Headers.Authorization = Bearer(user);
        post.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        HttpResponseMessage answer;
        try
        {
            answer = await http.SendAsync(post);
        }
        catch (HttpRequestException e)
        {
            throw new CheckFailedException($"POST /v1/media on port {http.BaseAddress!.Port}: {e.Message}");
        }

        using (answer)
        {
            Require(answer.StatusCode == HttpStatusCode.OK, $"POST /v1/media answered {(int)answer.StatusCode}");
            using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
            Require(json.RootElement.TryGetProperty("media_id", out var id) && id.GetString() is { Length: > 0 }, "the answer has no media_id");
            Require(json.RootElement.TryGetProperty("expires_at_ms", out var exp) && exp.TryGetInt64(out _), "the answer has no expires_at_ms");
            return (id.GetString()!, exp.GetInt64());
        }
    }

    private static async Task<ClientWebSocket> OpenWebSocketAsync(CheckContext c)
    {
        var ws = new ClientWebSocket();
        using var cts = new CancellationTokenSource(c.Answer);
        try
        {
            await ws.ConnectAsync(new Uri($"ws://{c.Options.Host}:{c.Options.WebPort}/v1/ws"), cts.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            ws.Dispose();
            throw new CheckFailedException($"cannot open ws://{c.Options.Host}:{c.Options.WebPort}/v1/ws: {e.Message}");
        }

        return ws;
    }

    private static async Task SendWsAsync(ClientWebSocket ws, IMessage message, CheckContext c)
    {
        using var cts = new CancellationTokenSource(c.Answer);
        await ws.SendAsync(FrameWriter.ToBytes(message), WebSocketMessageType.Binary, true, cts.Token);
    }

    /// <summary>The next WebSocket frame, which must carry a <typeparamref name="T"/>.</summary>
    private static async Task<T> ExpectWsAsync<T>(ClientWebSocket ws, CheckContext c, string what)
        where T : class, IMessage
    {
        var frame = await ReceiveWsAsync(ws, c);
        return frame.Message as T ?? throw new CheckFailedException($"got {Wire.WireConnection.Describe(frame)} over WebSocket while waiting for {what}");
    }

    /// <summary>One binary WebSocket message, which must hold exactly one frame.</summary>
    private static async Task<Frame> ReceiveWsAsync(ClientWebSocket ws, CheckContext c)
    {
        using var cts = new CancellationTokenSource(c.Answer);
        var buffer = new byte[FrameLayout.MaxFrameSize + 1];
        var filled = 0;
        try
        {
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer.AsMemory(filled), cts.Token);
                Require(r.MessageType != WebSocketMessageType.Close, "the server closed the WebSocket");
                Require(r.MessageType == WebSocketMessageType.Binary, "a text WebSocket message; frames travel as binary messages");
                filled += r.Count;
                if (r.EndOfMessage)
                {
                    break;
                }

                Require(filled < buffer.Length, "a WebSocket message longer than one frame");
            }
        }
        catch (OperationCanceledException)
        {
            throw new CheckFailedException($"no WebSocket message within {c.Answer.TotalSeconds:0} s");
        }

        try
        {
            return FrameReader.ReadSingle(buffer.AsMemory(0, filled));
        }
        catch (ProtocolException e)
        {
            throw new CheckFailedException($"a WebSocket message is not exactly one frame: {e.Message}");
        }
    }
}
