using System.CommandLine;
using AkkaChat.Client;
using AkkaChat.Client.Encryption;
using AkkaChat.Cli.Chat;
using AkkaChat.Protocol;
using Spectre.Console;

namespace AkkaChat.Cli.Commands;

/// <summary>
/// <c>akkachat chat PEER [--as PHONE]</c>: an interactive conversation. Lines typed are sent to PEER;
/// each sent line carries its state, updated as it changes: … waiting, ✓ stored (SEND_ACK),
/// ✓✓ delivered and ✓✓ read (RECEIPT). Messages from PEER are shown and marked read. /quit or
/// Ctrl+D (end of input) leaves once every line sent is stored. With a group (g:id) each line also
/// counts the members that got it and read it (<c>delivered 2/3 read 1/3</c>), one receipt per member.
/// Typing indicators go both ways (<see cref="ChatTyping"/>): the peer's are shown while they type, and
/// on a terminal the user's own keys send COMPOSING, then PAUSED after a pause or with the line.
/// Non-text messages show their kind (<see cref="MessageKinds"/>).
/// </summary>
public static class ChatCommand
{
    /// <summary>How long leaving waits for lines still being sent.</summary>
    private static readonly TimeSpan LeaveGrace = TimeSpan.FromSeconds(10);

    public static Command Create()
    {
        var peer = new Argument<string>("peer") { Description = "Who to chat with: a phone number (+15550002) or a group (g:id)" };
        var command = new Command("chat", "Chat with one user interactively") { peer, CommonOptions.As };
        command.SetFailSafeAction(async (parse, invocation, ct) =>
        {
            var other = parse.GetRequiredValue(peer);
            if (!ChatAddress.TryParse(other, out var address))
            {
                throw new CliException($"'{other}' is neither a phone number in E.164 form (+ then 8 to 15 digits) nor a group (g:id)", ExitCodes.Usage);
            }

            var store = CredentialStore.FromEnvironment();
            var user = store.Load(parse.GetValue(CommonOptions.As));
            var marks = new SessionMarks(store.Home);
            if (marks.Live(user.Phone) is { } live)
            {
                Output.Notice($"warning: {user.Phone} is logged in by '{live.Command.EscapeMarkup()}' (pid {live.Pid}); this chat ends that session (one session per user)");
            }

            using var mark = marks.Claim(user.Phone, $"akkachat chat {address}");
            var session = await invocation.LoginAsync(user, parse.GetValue(CommonOptions.Server), ct);
            await using var _ = session;
            var maxBytes = MessageLimits.MaxTextBytes(address.Value);
            using IChatView view = Console.IsInputRedirected || Console.IsOutputRedirected ? new PlainChatView() : new TerminalChatView(maxBytes);
            await new Conversation(session, address, view, maxBytes, () => marks.Live(user.Phone)).RunAsync(user.Phone, ct);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>One chat session: typed lines out, the peer's messages and the receipts in.</summary>
    private sealed class Conversation(ChatSession client, ChatAddress peer, IChatView view, int maxBytes, Func<(int Pid, string Command)?> replacedBy)
    {
        private readonly Dictionary<string, SentLine> _sent = new();
        private readonly List<Task> _sending = new();
        private AkkaChatException? _ended;
        // In a group chat: the other members, for the per-member receipt counts.
        private int _recipients;
        private string _me = string.Empty;
        private ChatTyping? _typing;

        public async Task RunAsync(string me, CancellationToken ct)
        {
            _me = me;
            if (peer.IsGroup)
            {
                var group = await client.GroupRequestAsync((c, t) => c.GetGroupAsync(peer.GroupId, t), ct);
                _recipients = group.Members.Count(m => m.Phone != me);
                view.Notice($"group {group.Subject.EscapeMarkup()}: {string.Join(", ", group.Members.Select(m => m.Admin ? m.Phone + " (admin)" : m.Phone))}");
            }

            view.Notice($"chatting with {peer} as {me} on {client.Server.ToString().EscapeMarkup()}: type and press Enter; /quit or Ctrl+D to leave");
            await ShowEncryptionAsync(ct);
            view.Notice("… sending  ✓ sent  ✓✓ delivered  [blue]✓✓[/] read");
            client.StateChanged += (state, server) =>
            {
                if (state == ConnectionState.Reconnecting)
                {
                    view.Notice($"connection to {server.ToString().EscapeMarkup()} lost; reconnecting…");
                }
                else if (state == ConnectionState.Ready)
                {
                    view.Notice($"connected again, to {client.Server.ToString().EscapeMarkup()}");
                }
            };

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            await using var typing = _typing = new ChatTyping(client, peer, view);
            var receiving = ReceiveAsync(stop);
            try
            {
                while (await view.ReadLineAsync(stop.Token) is { } text)
                {
                    if (text.Trim() is "/quit" or "/exit")
                    {
                        break;
                    }

                    if (string.IsNullOrWhiteSpace(text))
                    {
                        continue; // an empty or blank line is not a message
                    }

                    if (text.Trim() == "/accept")
                    {
                        await AcceptAsync(stop.Token);
                        continue;
                    }

                    if (MessageLimits.Bytes(text) is var bytes && bytes > maxBytes)
                    {
                        view.Notice($"[red]not sent: {MessageLimits.TooLarge(bytes, maxBytes).EscapeMarkup()}[/]");
                        continue;
                    }

                    Send(text);
                }

                await Task.WhenAll(SendingSnapshot()).WaitAsync(LeaveGrace, ct);
            }
            catch (OperationCanceledException) when (_ended is not null)
            {
                // the node ended the session; reported below
            }
            catch (TimeoutException)
            {
                view.Notice("left with lines the node has not stored yet");
            }
            finally
            {
                await stop.CancelAsync();
                await receiving;
            }

            if (_ended is not null)
            {
                if (_ended.Code == ErrorCode.Replaced && replacedBy() is { } by)
                {
                    throw new CliException($"logged in elsewhere: '{by.Command}' (pid {by.Pid}) on this machine logged in as the same user and ended this chat (one session per user)");
                }

                throw _ended;
            }
        }

        private void Send(string text)
        {
            var line = new SentLine(Guid.CreateVersion7().ToString("N"), text, DateTimeOffset.Now, _recipients);
            lock (_sent)
            {
                _sent[line.ClientMsgId] = line;
            }

            view.Show(line);
            _typing?.LineSent();
            var sending = SendAsync(line);
            lock (_sending)
            {
                _sending.RemoveAll(t => t.IsCompleted);
                _sending.Add(sending);
            }
        }

        private async Task SendAsync(SentLine line)
        {
            try
            {
                await client.SendTextAsync(peer.Value, line.Text, line.ClientMsgId, CancellationToken.None);
                if (!line.Advance(LineState.Sent))
                {
                    return; // a receipt got here first
                }
            }
            catch (AkkaChatException e) when (e.Code == ErrorCode.TooLarge)
            {
                line.Fail($"too large: the message is {MessageLimits.Format(MessageLimits.Bytes(line.Text))} bytes, and the node refused it: {e.Message}");
            }
            catch (AkkaChatException e)
            {
                line.Fail(Failures.Describe(e, null).Message);
            }
            catch (ObjectDisposedException)
            {
                return; // leaving
            }

            view.Update(line);
        }

        private Task[] SendingSnapshot()
        {
            lock (_sending)
            {
                return _sending.ToArray();
            }
        }

        private async Task ReceiveAsync(CancellationTokenSource stop)
        {
            var ct = stop.Token;
            try
            {
                await foreach (var e in client.ReadEventsAsync(ct))
                {
                    switch (e)
                    {
                        case MessageReceived m when IsFromPeer(m):
                            _typing?.MessageFrom(m.From);
                            ShowIncoming(m);
                            await client.MarkReadAsync(m.From, [m.ServerMsgId], ct); // it is on screen
                            break;
                        case SafetyNumberChanged change:
                            lock (_changes)
                            {
                                _changes.Add(change);
                            }

                            view.Notice($"[red]the safety number with {change.Peer} changed (a new device, or someone in between); a message is withheld. " +
                                $"New number: {SafetyNumber.Format(change.SafetyNumber)}. Compare it with {change.Peer}, then type /accept to trust it and read the message[/]");
                            break;
                        case UndecryptableMessage u:
                            view.Notice($"[red]a message from {u.From} could not be decrypted ({u.Reason}): {u.Detail.EscapeMarkup()}[/]");
                            break;
                        case EncryptionProblem problem:
                            view.Notice($"[red]encryption: {problem.Message.EscapeMarkup()}[/]");
                            break;
                        case MessageReceived m:
                            view.Notice($"{m.From}: {MessageKinds.Describe(m.Kind, m.MediaId, m.Text).EscapeMarkup()}");
                            break;
                        case TypingChanged t:
                            _typing?.Received(t);
                            break;
                        case StatusReceived st:
                            view.Notice($"status from {st.From}: {MessageKinds.Describe(st.Kind, st.MediaId, st.Text).EscapeMarkup()}");
                            break;
                        case ReceiptReceived r when r.GroupId.Length > 0 && Find(r.ClientMsgId) is { Recipients: > 0 } line:
                            if (line.RecordReceipt(r.By, r.Status == ReceiptStatus.Read ? LineState.Read : LineState.Delivered))
                            {
                                view.Update(line);
                            }

                            break;
                        case GroupChanged g when peer.IsGroup && g.GroupId == peer.GroupId && g.Seq > 0:
                            _recipients = g.Members.Count(m => m.Phone != _me);
                            view.Notice($"group is now: {string.Join(", ", g.Members.Select(m => m.Admin ? m.Phone + " (admin)" : m.Phone))}");
                            break;
                        // A READ may overtake its DELIVERED (the peer reads before its ACK is written): marks only advance.
                        case ReceiptReceived r when Find(r.ClientMsgId) is { } line && line.Advance(r.Status == ReceiptStatus.Read ? LineState.Read : LineState.Delivered):
                            view.Update(line);
                            break;
                        case ServerErrorReceived error:
                            view.Notice($"the node reported {error.Code}: {error.Message.EscapeMarkup()}");
                            break;
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // leaving
            }
            catch (AkkaChatException e)
            {
                // REPLACED or AUTH_FAILED: the session is over, so is the chat.
                _ended = e;
                await stop.CancelAsync();
            }
        }

        private readonly List<SafetyNumberChanged> _changes = new();

        /// <summary>The lock and the safety number (1:1), or why the chat is not encrypted.</summary>
        private async Task ShowEncryptionAsync(CancellationToken ct)
        {
            if (Invocation.Plaintext)
            {
                view.Notice("[yellow]not encrypted (--plaintext): the node can read these messages[/]");
                return;
            }

            if (peer.IsGroup)
            {
                view.Notice("🔒 end-to-end encrypted, pairwise to each member (see 'akkachat verify' for each member's safety number)");
                return;
            }

            try
            {
                var number = await client.RequestAsync((c, t) => c.GetSafetyNumberAsync(peer.Value, t), ct);
                view.Notice($"🔒 end-to-end encrypted · safety number with {peer}: {SafetyNumber.Format(number)}");
            }
            catch (AkkaChatException e) when (e.Code == ErrorCode.NotFound)
            {
                view.Notice($"[red]{peer} has published no keys, so messages to it cannot be encrypted and will not be sent[/]");
            }
        }

        private void ShowIncoming(MessageReceived m)
        {
            var text = MessageKinds.Describe(m.Kind, m.MediaId, m.Text);
            view.Incoming(m.From, m.Encrypted || Invocation.Plaintext ? text : text + " (not encrypted)", m.SentAt);
        }

        /// <summary>/accept: trusts the identities of the safety number changes shown, and shows the messages they withheld.</summary>
        private async Task AcceptAsync(CancellationToken ct)
        {
            SafetyNumberChanged[] pending;
            lock (_changes)
            {
                pending = _changes.ToArray();
                _changes.Clear();
            }

            if (pending.Length == 0)
            {
                view.Notice("no safety number change to accept");
                return;
            }

            foreach (var change in pending)
            {
                var opened = await client.RequestAsync((c, t) => c.AcceptSafetyNumberAsync(change, t), ct);
                view.Notice($"🔒 trusting the new identity of {change.Peer}; safety number {SafetyNumber.Format(change.SafetyNumber)}");
                switch (opened)
                {
                    case MessageReceived m:
                        ShowIncoming(m);
                        break;
                    case UndecryptableMessage u:
                        view.Notice($"[red]the withheld message from {u.From} could not be decrypted ({u.Reason})[/]");
                        break;
                }
            }
        }

        private bool IsFromPeer(MessageReceived m) => peer.IsGroup ? m.GroupId == peer.GroupId : m.GroupId.Length == 0 && m.From == peer.Value;

        private SentLine? Find(string clientMsgId)
        {
            lock (_sent)
            {
                return _sent.GetValueOrDefault(clientMsgId);
            }
        }
    }
}
