using System.CommandLine;
using AkkaChat.Client.Encryption;
using Spectre.Console;

namespace AkkaChat.Cli.Commands;

/// <summary>
/// <c>akkachat verify PEER [--as PHONE] [--accept]</c>: prints the safety number of this device
/// and PEER (12 groups of 5 digits; both users see the same number, so reading it out to each other
/// proves no one is in between). Without a known identity of PEER yet, its key bundle is fetched
/// and its identity trusted from then on (trust on first use). <c>--accept</c> trusts PEER's
/// current identity on the node instead of the one trusted before: after a safety number change.
/// </summary>
public static class VerifyCommand
{
    public static Command Create()
    {
        var peer = new Argument<string>("peer") { Description = "The user whose safety number to show: a phone number (+15550002)" };
        var accept = new Option<bool>("--accept") { Description = "Trust the peer's current identity (after its safety number changed and you compared the new one)" };
        var command = new Command("verify", "Print the safety number with a user, to compare in person (end-to-end encryption)") { peer, accept, CommonOptions.As };
        command.SetFailSafeAction(async (parse, invocation, ct) =>
        {
            if (Invocation.Plaintext)
            {
                throw new CliException("verify is about end-to-end encryption; leave out --plaintext", ExitCodes.Usage);
            }

            var other = Phones.Require(parse.GetRequiredValue(peer));
            var store = CredentialStore.FromEnvironment();
            var user = store.Load(parse.GetValue(CommonOptions.As));
            var marks = new SessionMarks(store.Home);
            if (marks.Live(user.Phone) is { } live)
            {
                Output.Notice($"warning: {user.Phone} is logged in by '{live.Command.EscapeMarkup()}' (pid {live.Pid}); this verify logs in as {user.Phone} and ends that session (one session per user)");
            }

            using var mark = marks.Claim(user.Phone, "akkachat verify");
            var session = await invocation.LoginAsync(user, parse.GetValue(CommonOptions.Server), ct);
            await using (session)
            {
                var number = parse.GetValue(accept)
                    ? await session.RequestAsync((c, t) => c.TrustCurrentIdentityAsync(other, t), ct)
                    : await session.RequestAsync((c, t) => c.GetSafetyNumberAsync(other, t), ct);
                Output.Line($"🔒 safety number of {user.Phone} and {other}{(parse.GetValue(accept) ? " (now trusted)" : string.Empty)}:");
                Output.Raw(SafetyNumber.Format(number));
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
