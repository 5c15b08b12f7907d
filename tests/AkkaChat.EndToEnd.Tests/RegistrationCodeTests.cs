using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;

namespace AkkaChat.EndToEnd.Tests;

/// <summary>A node whose idle user actors passivate after 1 s, while codes live 10 minutes.</summary>
[Trait("Category", "Slow")]
public sealed class RegistrationCodeTests
{
    private static readonly TimeSpan PassivateAfter = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_code_typed_after_several_passivation_periods_is_accepted_while_it_is_valid()
    {
        await using var node = await NodeProcess.StartAsync($"akkachat.users.passivate-after = {PassivateAfter.TotalSeconds}s");
        var phone = TestPhones.New();
        await using var client = await node.ConnectAsync();
        await client.SendAsync(new AuthRequestCode { Phone = phone });
        var sent = await client.ExpectAsync<AuthCodeSent>();

        // The user takes five passivation periods to type the code (PINGs keep the connection open;
        // a connection before login is not the user's session, so it does not keep the actor).
        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(PassivateAfter);
            await client.ExpectAliveAsync();
        }

        await client.SendAsync(new AuthVerify { Phone = phone, Code = sent.DevCode, DeviceName = "slow typist" });
        var ok = await client.ExpectAsync<AuthOk>();
        Assert.Equal(32, ok.Token.Length);
    }
}
