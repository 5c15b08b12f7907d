using Akka.Configuration;
using AkkaChat.Node.Configuration;

namespace AkkaChat.Node.Inbox;

/// <summary>
/// Settings of the inbox module, from <c>akkachat.delivery</c> (pushing, dedup, snapshots, the
/// receipt outbox), <c>akkachat.retention</c> and <c>akkachat.limits</c> (what a SEND may carry);
/// keys documented in hocon/akkachat.conf.
/// </summary>
/// <param name="DeliveryWindow">delivery.window: items pushed past the last one the session's socket took.</param>
/// <param name="DedupWindow">delivery.dedup-window: (sender, client_msg_id) pairs each queue remembers.</param>
/// <param name="SnapshotAfter">delivery.snapshot-after: journal events between snapshots (never below the queue length).</param>
/// <param name="ReceiptConfirmationDelay">delivery.receipt-confirmation-delay: how long confirmations wait to ride in the next event.</param>
/// <param name="MaxConfirmationBatch">delivery.max-confirmation-batch: confirmations journaled as one event at most.</param>
/// <param name="OutboxResendInterval">delivery.outbox-resend-interval: how often unconfirmed receipts are resent.</param>
/// <param name="RetentionMaxAge">retention.max-age: an item never acknowledged is dropped after this age.</param>
/// <param name="MaxBodyBytes">limits.max-body-bytes: the largest SEND body.</param>
/// <param name="MaxClientMsgIdLength">limits.max-client-msg-id-length: the longest client_msg_id.</param>
public sealed record InboxSettings(
    int DeliveryWindow,
    int DedupWindow,
    int SnapshotAfter,
    TimeSpan ReceiptConfirmationDelay,
    int MaxConfirmationBatch,
    TimeSpan OutboxResendInterval,
    TimeSpan RetentionMaxAge,
    int MaxBodyBytes,
    int MaxClientMsgIdLength)
{
    /// <param name="config">The node's whole config (the <c>akkachat</c> section is read from it).</param>
    public static InboxSettings Create(Config config) =>
        FromSection(config.GetConfig("akkachat") ?? throw new ConfigurationException("missing 'akkachat' section"));

    /// <summary>From the <c>akkachat</c> section itself, as <see cref="AkkaChatSettings.Create"/> reads it once for every record it composes.</summary>
    internal static InboxSettings FromSection(Config c)
    {
        return new InboxSettings(
            AkkaChatSettings.Positive(c, "delivery.window"),
            AkkaChatSettings.Positive(c, "delivery.dedup-window"),
            AkkaChatSettings.Positive(c, "delivery.snapshot-after"),
            AkkaChatSettings.NotNegativeTime(c, "delivery.receipt-confirmation-delay"),
            AkkaChatSettings.Positive(c, "delivery.max-confirmation-batch"),
            AkkaChatSettings.PositiveTime(c, "delivery.outbox-resend-interval"),
            AkkaChatSettings.PositiveTime(c, "retention.max-age"),
            AkkaChatSettings.Positive(c, "limits.max-body-bytes"),
            AkkaChatSettings.Positive(c, "limits.max-client-msg-id-length"));
    }
}
