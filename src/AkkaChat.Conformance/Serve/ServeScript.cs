namespace AkkaChat.Conformance.Serve;

/// <summary>
/// The misbehaviours <c>akkachat-conformance serve</c> offers, each a thing a real server may do
/// that a conforming client must cope with. <see cref="What"/> is what the server does,
/// <see cref="ClientMust"/> what a conforming client must do.
/// </summary>
public sealed record ServeScript(string Name, string What, string ClientMust)
{
    public static readonly ServeScript WellBehaved = new("well-behaved",
        "Registers any phone with code 123456 (revealed in dev_code), logs in any token, answers PING and SEND, and pushes 3 DELIVERs (seq 1-3) after each login until they are acknowledged.",
        "Log in, show the 3 messages, ACK up to seq 3.");

    public static readonly ServeScript SplitFrames = new("split-frames",
        "As well-behaved, but writes every frame one byte at a time, each byte flushed on its own.",
        "Reassemble frames from any split: log in, show the 3 messages, ACK up to seq 3.");

    public static readonly ServeScript Duplicates = new("duplicates",
        "Pushes every DELIVER twice (same seq, same server_msg_id): 1,1,2,2,3,3, then seq 4 carrying seq 1's server_msg_id again.",
        "Show each message once (drop duplicates by seq and by server_msg_id), and still ACK up to seq 4.");

    public static readonly ServeScript Redeliver = new("redeliver",
        "On the first connection pushes DELIVERs 1-3 and closes the connection at once, reading no ACK; on the next login pushes 1-3 again and a new seq 4.",
        "Reconnect and log in again, show 4 distinct messages (1-3 only once), ACK up to seq 4.");

    public static readonly ServeScript Replaced = new("replaced",
        "After the first login pushes one DELIVER, then sends ERROR{REPLACED} and closes.",
        "Stop: treat the session as ended, never log in again on its own.");

    public static readonly ServeScript IdleTimeout = new("idle-timeout",
        "Right after the first login sends ERROR{IDLE_TIMEOUT} and closes; later connections behave well.",
        "Reconnect, log in again with the stored token, show the 3 messages, ACK up to seq 3.");

    public static readonly ServeScript Overloaded = new("overloaded",
        "Logs the first connection in and closes it; answers the next 2 connections with ERROR{OVERLOADED} and closes them; then behaves well.",
        "Keep retrying with backoff after OVERLOADED, log in, show the 3 messages, ACK up to seq 3.");

    public static readonly ServeScript UnknownTypes = new("unknown-types",
        "After login sends frames of unassigned types 0x7F and 0xEE (with and without payload), a TYPING_NOTIFY, and DELIVERs that carry an unknown protobuf field 50, before and between the 3 DELIVERs.",
        "Ignore what it does not know, keep the connection, show the 3 messages, ACK up to seq 3.");

    public static readonly ServeScript OutOfOrderReceipts = new("out-of-order-receipts",
        "Pushes nothing at login. Answers each SEND with RECEIPT{READ} first (a queued item), then the SEND_ACK, then RECEIPT{DELIVERED}.",
        "Complete the send with the SEND_ACK even though a receipt came first, keep READ as the message's state when DELIVERED arrives after it, ACK both receipts.");

    public static IReadOnlyList<ServeScript> All { get; } =
        [WellBehaved, SplitFrames, Duplicates, Redeliver, Replaced, IdleTimeout, Overloaded, UnknownTypes, OutOfOrderReceipts];

    public static ServeScript? Find(string name) => All.FirstOrDefault(s => s.Name == name);
}
