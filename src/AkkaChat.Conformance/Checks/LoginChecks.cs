using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;
using static AkkaChat.Conformance.CheckContext;

namespace AkkaChat.Conformance.Checks;

/// <summary>PROTOCOL.md "Registration and login".</summary>
public static class LoginChecks
{
    private const string Area = "login";

    public static IEnumerable<Check> All()
    {
        yield return new Check(Area, "request_code_answers_code_sent", "AUTH_REQUEST_CODE makes the server issue a 6-digit code, valid 10 minutes", async c =>
        {
            var (_, code, sent) = await c.RequestCodeAsync(NewPhone());
            Require(code.Length == 6 && code.All(char.IsAsciiDigit), $"the code \"{code}\" is not 6 digits");
            Require(sent.ExpiresInS is > 0 and <= 600, $"AUTH_CODE_SENT.expires_in_s = {sent.ExpiresInS}, expected 1 to 600 (valid 10 minutes)");
            return $"expires_in_s = {sent.ExpiresInS}, code from {c.Options.Codes.Describe()}";
        });

        yield return new Check(Area, "ping_is_accepted_before_login", "Before authentication only AUTH_* and PING are accepted", async c =>
        {
            var conn = await c.ConnectAsync();
            await conn.ExpectAliveAsync(c.Answer, "connecting");
            await conn.SendAsync(new AuthRequestCode { Phone = NewPhone() });
            await conn.ExpectAsync<AuthCodeSent>(c.Answer, "AUTH_CODE_SENT after a PING");
            return null;
        });

        yield return new Check(Area, "verify_answers_auth_ok_with_a_token_of_32_bytes", "AUTH_VERIFY with the right code answers AUTH_OK with a fresh random device token (at least 32 bytes)", async c =>
        {
            var user = await c.RegisterAsync();
            Require(user.Token.Length >= 32, $"the device token is {user.Token.Length} bytes");
            Require(user.Ok.ServerTimeMs > 0, "AUTH_OK.server_time_ms is not set");
            return $"{user.Token.Length}-byte token, node \"{user.Ok.Node}\"";
        });

        yield return new Check(Area, "verify_logs_the_connection_in", "that connection is then logged in, exactly as after AUTH_LOGIN", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            var ack = await c.SendTextAsync(alice, bob.Phone, "after verify");
            var deliver = await bob.Connection.ExpectAsync<Deliver>(c.Answer, "DELIVER on the verified connection");
            Require(deliver.ServerMsgId == ack.ServerMsgId, "the DELIVER is not the message sent");
            return null;
        });

        yield return new Check(Area, "each_verify_issues_a_fresh_token", "AUTH_VERIFY answers AUTH_OK with a fresh random device token", async c =>
        {
            var phone = NewPhone();
            var first = await c.RegisterAsync(phone);
            await c.CloseAsync(first.Connection);
            var second = await c.RegisterAsync(phone);
            Require(!first.Token.Equals(second.Token), "two verifies of the same number gave the same token");
            return null;
        });

        yield return new Check(Area, "login_answers_auth_ok_with_empty_token_and_pending", "AUTH_LOGIN with phone and token answers AUTH_OK (empty token) with pending", async c =>
        {
            var user = await c.RegisterAsync();
            await c.CloseAsync(user.Connection);
            var again = await c.LoginAsync(user.Phone, user.Token);
            Require(again.Ok.Token.IsEmpty, $"AUTH_OK after AUTH_LOGIN carries a {again.Ok.Token.Length}-byte token");
            Require(again.Ok.Pending == 0, $"a new user with nothing sent to it has pending = {again.Ok.Pending}");
            return null;
        });

        yield return new Check(Area, "pending_counts_the_queued_items", "AUTH_OK pending: the number of queued items waiting", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            await c.CloseAsync(bob.Connection);
            for (var i = 0; i < 3; i++)
            {
                await c.SendTextAsync(alice, bob.Phone, $"queued {i}");
            }

            var again = await c.LoginAsync(bob.Phone, bob.Token);
            Require(again.Ok.Pending == 3, $"pending = {again.Ok.Pending} with 3 messages queued");
            return null;
        });

        yield return new Check(Area, "right_code_works_after_four_wrong_tries", "at most 5 wrong tries", async c =>
        {
            var phone = NewPhone();
            var (_, code, _) = await c.RequestCodeAsync(phone);
            for (var i = 0; i < 4; i++)
            {
                var wrong = await c.ConnectAsync();
                await wrong.SendAsync(new AuthVerify { Phone = phone, Code = ErrorChecks.WrongCode(code), DeviceName = "conformance" });
                await wrong.ExpectErrorAsync(ErrorCode.AuthFailed, c.Answer);
                await c.CloseAsync(wrong);
            }

            var conn = await c.ConnectAsync();
            await conn.SendAsync(new AuthVerify { Phone = phone, Code = code, DeviceName = "conformance" });
            await conn.ExpectAsync<AuthOk>(c.Answer, "AUTH_OK for the right code after 4 wrong ones");
            return null;
        });

        yield return new Check(Area, "code_is_spent_after_five_wrong_tries", "at most 5 wrong tries", async c =>
        {
            var phone = NewPhone();
            var (_, code, _) = await c.RequestCodeAsync(phone);
            for (var i = 0; i < 5; i++)
            {
                var wrong = await c.ConnectAsync();
                await wrong.SendAsync(new AuthVerify { Phone = phone, Code = ErrorChecks.WrongCode(code), DeviceName = "conformance" });
                await wrong.ExpectErrorAsync(ErrorCode.AuthFailed, c.Answer);
                await c.CloseAsync(wrong);
            }

            var conn = await c.ConnectAsync();
            await conn.SendAsync(new AuthVerify { Phone = phone, Code = code, DeviceName = "conformance" });
            await conn.ExpectErrorAsync(ErrorCode.AuthFailed, c.Answer);
            return null;
        });

        yield return new Check(Area, "token_outlives_the_connection", "AUTH_LOGIN with phone and token answers AUTH_OK (the device token logs in again)", async c =>
        {
            var user = await c.RegisterAsync();
            await c.CloseAsync(user.Connection);
            for (var i = 0; i < 2; i++)
            {
                var again = await c.LoginAsync(user.Phone, user.Token);
                await c.CloseAsync(again.Connection);
            }

            return null;
        });

        yield return new Check(Area, "token_of_one_user_does_not_log_in_another", "A wrong code or token: ERROR{AUTH_FAILED} and close", async c =>
        {
            var alice = await c.RegisterAsync();
            var bob = await c.RegisterAsync();
            var conn = await c.ConnectAsync();
            await conn.SendAsync(new AuthLogin { Phone = bob.Phone, Token = ByteString.CopyFrom(alice.Token.ToByteArray()) });
            await conn.ExpectErrorAsync(ErrorCode.AuthFailed, c.Answer);
            return null;
        });
    }
}
