using System.CommandLine;
using AkkaChat.Client;
using Spectre.Console;

namespace AkkaChat.Cli.Commands;

/// <summary>
/// <c>akkachat group create|info|add|remove|promote|leave</c>: manage groups. Each prints the group
/// as the node answered it: <c>g:ID "subject" v3: +1555... (admin), +1555...</c>.
/// </summary>
public static class GroupCommand
{
    public static Command Create()
    {
        var command = new Command("group", "Create and manage groups; chat in one with 'akkachat chat g:ID'");
        var subject = new Argument<string>("subject") { Description = "The group's subject" };
        var members = new Argument<string[]>("members") { Description = "Registered phone numbers", Arity = ArgumentArity.ZeroOrMore };
        command.Subcommands.Add(Sub("create", "Create a group with you as its admin", [subject, members], (parse, client, ct) =>
            client.CreateGroupAsync(parse.GetRequiredValue(subject), parse.GetValue(members) ?? [], ct)));

        var id = new Argument<string>("group") { Description = "The group: g:ID or ID" };
        command.Subcommands.Add(Sub("info", "Show a group's subject, members and admins", [id], (parse, client, ct) =>
            client.GetGroupAsync(parse.GetRequiredValue(id), ct)));
        foreach (var (name, description, call) in new (string, string, Func<AkkaChatClient, string, string[], CancellationToken, Task<GroupChanged>>)[]
        {
            ("add", "Add members (admins only)", (c, g, p, ct) => c.AddMembersAsync(g, p, ct)),
            ("remove", "Remove members (admins only)", (c, g, p, ct) => c.RemoveMembersAsync(g, p, ct)),
            ("promote", "Make members admins (admins only)", (c, g, p, ct) => c.PromoteAsync(g, p, ct)),
        })
        {
            var group = new Argument<string>("group") { Description = "The group: g:ID or ID" };
            var phones = new Argument<string[]>("phones") { Description = "Phone numbers", Arity = ArgumentArity.OneOrMore };
            command.Subcommands.Add(Sub(name, description, [group, phones], (parse, client, ct) =>
                call(client, parse.GetRequiredValue(group), parse.GetRequiredValue(phones), ct)));
        }

        var leaving = new Argument<string>("group") { Description = "The group: g:ID or ID" };
        command.Subcommands.Add(Sub("leave", "Leave a group", [leaving], (parse, client, ct) =>
            client.LeaveGroupAsync(parse.GetRequiredValue(leaving), ct)));
        return command;
    }

    private static Command Sub(string name, string description, Argument[] arguments, Func<ParseResult, AkkaChatClient, CancellationToken, Task<GroupChanged>> call)
    {
        var timeout = DurationOption.Create("--timeout", "How long to wait for the node's answer (default 30s)");
        var command = new Command(name, description) { CommonOptions.As, timeout };
        foreach (var argument in arguments)
        {
            command.Arguments.Add(argument);
        }

        command.SetFailSafeAction(async (parse, invocation, ct) =>
        {
            var user = CredentialStore.FromEnvironment().Load(parse.GetValue(CommonOptions.As));
            var wait = parse.GetValue(timeout) ?? TimeSpan.FromSeconds(30);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(wait);
            try
            {
                var session = await invocation.LoginAsync(user, parse.GetValue(CommonOptions.Server), deadline.Token);
                await using (session)
                {
                    Output.Line(Describe(await session.GroupRequestAsync((client, t) => call(parse, client, t), deadline.Token)));
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new CliException($"no answer from {invocation.Server} within {Durations.Format(wait)}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>One line: the address, subject, version and members (oldest first), admins marked.</summary>
    public static string Describe(GroupChanged group) =>
        $"[bold]{group.Address}[/] \"{group.Subject.EscapeMarkup()}\" v{group.Version}: " +
        (group.Members.Count == 0 ? "no members" : string.Join(", ", group.Members.Select(m => m.Admin ? $"{m.Phone} [green](admin)[/]" : m.Phone)));
}
