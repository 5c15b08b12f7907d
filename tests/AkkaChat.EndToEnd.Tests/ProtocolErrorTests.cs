using AkkaChat.TestKit;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.EndToEnd.Tests;

[Trait("Category", "Slow")]
public sealed class ProtocolErrorTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly NodeProcess _node = fixture.Node;

    [Fact]
    public async Task A_frame_with_version_2_gets_unsupported_version_and_the_connection_closes()
    {
        await using var client = await _node.ConnectAsync();
        await client.SendRawAsync([2, 0x04, 0, 0]);
        await client.ExpectErrorAsync(ErrorCode.UnsupportedVersion);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task An_unknown_frame_type_gets_unknown_type_and_the_connection_stays_open()
    {
        await using var client = await _node.ConnectAsync();
        await client.SendRawAsync([1, 0x7E, 0, 1, 0xAA]);
        await client.ExpectErrorAsync(ErrorCode.UnknownType);
        await client.ExpectAliveAsync();
    }

    [Fact]
    public async Task A_server_to_client_type_sent_by_a_client_gets_unknown_type_and_the_connection_stays_open()
    {
        await using var client = await _node.ConnectAsync();
        await client.SendAsync(new Pong { Nonce = 1 });
        await client.ExpectErrorAsync(ErrorCode.UnknownType);
        await client.ExpectAliveAsync();
    }

    [Fact]
    public async Task A_payload_that_is_not_protobuf_gets_malformed_and_the_connection_closes()
    {
        await using var client = await _node.ConnectAsync();
        await client.SendRawAsync([1, 0x04, 0, 2, 0x08, 0xFF]); // PING with a truncated varint
        await client.ExpectErrorAsync(ErrorCode.Malformed);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task A_send_before_login_gets_unauthenticated_and_the_connection_closes()
    {
        await using var client = await _node.ConnectAsync();
        await client.SendAsync(new Send { ClientMsgId = "x", To = TestPhones.New() });
        await client.ExpectErrorAsync(ErrorCode.Unauthenticated);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task A_wrong_registration_code_gets_auth_failed_and_the_connection_closes()
    {
        var phone = TestPhones.New();
        await using var client = await _node.ConnectAsync();
        await client.SendAsync(new AuthRequestCode { Phone = phone });
        var sent = await client.ExpectAsync<AuthCodeSent>();
        Assert.Equal(600u, sent.ExpiresInS);
        var wrong = sent.DevCode == "000000" ? "000001" : "000000";
        await client.SendAsync(new AuthVerify { Phone = phone, Code = wrong });
        await client.ExpectErrorAsync(ErrorCode.AuthFailed);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task A_wrong_device_token_gets_auth_failed_and_the_connection_closes()
    {
        var phone = TestPhones.New();
        await using (var first = await _node.ConnectAsync())
        {
            await first.RegisterAsync(phone);
        }

        await using var client = await _node.ConnectAsync();
        await client.SendAsync(new AuthLogin { Phone = phone, Token = ByteString.CopyFrom(new byte[32]) });
        await client.ExpectErrorAsync(ErrorCode.AuthFailed);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task A_login_for_a_number_never_registered_gets_auth_failed()
    {
        await using var client = await _node.ConnectAsync();
        await client.SendAsync(new AuthLogin { Phone = TestPhones.New(), Token = ByteString.CopyFrom(new byte[32]) });
        await client.ExpectErrorAsync(ErrorCode.AuthFailed);
        await client.ExpectClosedAsync();
    }

    [Theory]
    [InlineData("15550001234")]
    [InlineData("+1555")]
    [InlineData("+1555000123456789")]
    [InlineData("+1 555 000 1234")]
    public async Task A_phone_number_not_in_e164_form_gets_bad_request_and_the_connection_stays_open(string phone)
    {
        await using var client = await _node.ConnectAsync();
        await client.SendAsync(new AuthRequestCode { Phone = phone });
        await client.ExpectErrorAsync(ErrorCode.BadRequest);
        await client.ExpectAliveAsync();
    }

    [Fact]
    public async Task A_send_to_a_bad_address_gets_bad_request_naming_the_client_msg_id()
    {
        await using var client = await _node.ConnectAsync();
        await client.RegisterAsync(TestPhones.New());
        await client.SendAsync(new Send { ClientMsgId = "bad-to", To = "bob" });
        await client.ExpectErrorAsync(ErrorCode.BadRequest, "bad-to");
        await client.ExpectAliveAsync();
    }

    [Fact]
    public async Task A_send_to_an_unregistered_number_gets_not_found_naming_the_client_msg_id()
    {
        await using var client = await _node.ConnectAsync();
        await client.RegisterAsync(TestPhones.New());
        await client.SendAsync(new Send { ClientMsgId = "nobody-1", To = TestPhones.New(), Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("hi") });
        await client.ExpectErrorAsync(ErrorCode.NotFound, "nobody-1");
        await client.ExpectAliveAsync();
    }

    [Fact]
    public async Task A_send_without_a_client_msg_id_gets_bad_request()
    {
        await using var client = await _node.ConnectAsync();
        await client.RegisterAsync(TestPhones.New());
        await client.SendAsync(new Send { To = TestPhones.New() });
        await client.ExpectErrorAsync(ErrorCode.BadRequest);
        await client.ExpectAliveAsync();
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_too_large_naming_the_client_msg_id()
    {
        var bob = TestPhones.New();
        await using (var b = await _node.ConnectAsync())
        {
            await b.RegisterAsync(bob);
        }

        await using var client = await _node.ConnectAsync();
        await client.RegisterAsync(TestPhones.New());
        await client.SendAsync(new Send { ClientMsgId = "big", To = bob, Body = ByteString.CopyFrom(new byte[64_001]) });
        await client.ExpectErrorAsync(ErrorCode.TooLarge, "big");
        await client.ExpectAliveAsync();
    }
}
