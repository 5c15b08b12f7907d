using System.Diagnostics;
using AkkaChat.Bench.Load;
using AkkaChat.Bench.Reporting;
using AkkaChat.Bench.Scenarios;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;

namespace AkkaChat.Bench.Features;

/// <summary>
/// status-fanout: one poster and --contacts users who are its mutual contacts (the poster's synced
/// address book holds them all, each of theirs holds the poster), all online. The poster posts
/// --statuses text statuses one after another, each waiting for its SEND_ACK (which comes once
/// every contact's queue holds the update); every contact receives and acknowledges each
/// STATUS_UPDATE. Figures: updates delivered per second, node CPU per STATUS_UPDATE delivered,
/// post -> STATUS_UPDATE latency (and to the last contact).
/// </summary>
public static class StatusFanoutScenario
{
    public static async Task RunAsync(FeatureRun run)
    {
        var poster = (await run.RegisterAsync(1, "poster"))[0];
        var contacts = await run.RegisterAsync(run.Options.Contacts, "contacts");
        var statuses = run.Options.Statuses;
        var remaining = new int[statuses];
        long synced = 0, updates = 0;
        var toContact = run.Latency("status.post_to_update");
        var toLast = run.Latency("status.post_to_last_contact");
        var toAck = run.Latency("status.post_to_send_ack");
        var acks = new TaskCompletionSource<SendAck>[statuses];
        for (var i = 0; i < statuses; i++)
        {
            acks[i] = new TaskCompletionSource<SendAck>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        var posterRole = new FeatureRole(run.Metrics, (_, message, at) =>
        {
            switch (message)
            {
                case ContactsResult:
                    Interlocked.Increment(ref synced);
                    break;
                case SendAck ack when int.TryParse(ack.ClientMsgId.AsSpan(1), out var i) && (uint)i < (uint)statuses:
                    acks[i].TrySetResult(ack);
                    break;
                case Error { Ref.Length: > 1 } error when int.TryParse(error.Ref.AsSpan(1), out var i) && (uint)i < (uint)statuses:
                    acks[i].TrySetException(new Wire.BenchProtocolException(Wire.ErrorNames.Of(error.ErrorCode), error.Message));
                    break;
            }
        });
        var contactRole = new FeatureRole(run.Metrics, (_, message, at) =>
        {
            switch (message)
            {
                case ContactsResult:
                    Interlocked.Increment(ref synced);
                    break;
                case StatusUpdate update:
                    var postedAt = FeatureRun.StampOf(update.Body);
                    toContact.RecordBetween(postedAt, at);
                    Interlocked.Increment(ref updates);
                    if (postedAt != 0 && BitConverter.ToInt32(update.Body.Span[8..12]) is var i && (uint)i < (uint)statuses
                        && Interlocked.Decrement(ref remaining[i]) == 0)
                    {
                        toLast.RecordBetween(postedAt, at);
                    }

                    break;
            }
        });

        var setup = run.Progress.Start($"sync {contacts.Length:N0} mutual contacts", contacts.Length + 1);
        poster.Connection!.StartReceiving(posterRole);
        await poster.Connection.WriteAsync(new ContactsSync { Phones = { contacts.Select(c => c.Phone) } });
        foreach (var contact in contacts)
        {
            contact.Connection!.StartReceiving(contactRole);
            await contact.Connection.WriteAsync(new ContactsSync { Phones = { poster.Phone } });
        }

        await run.WaitUntilAsync(() => Interlocked.Read(ref synced) >= contacts.Length + 1, "NO_CONTACTS_RESULT");
        setup.Complete($"{synced:N0} address books synced");

        Array.Fill(remaining, contacts.Length);
        var posting = run.Progress.Start($"post {statuses} statuses to {contacts.Length:N0} contacts", statuses);
        var meter = run.Measure();
        for (var i = 0; i < statuses; i++)
        {
            var postedAt = Stopwatch.GetTimestamp();
            var body = new byte[Math.Max(12, run.Options.BodyBytes)];
            BitConverter.TryWriteBytes(body, postedAt);
            BitConverter.TryWriteBytes(body.AsSpan(8), i);
            await poster.Connection.WriteAsync(new StatusPost { RequestId = $"s{i}", Kind = (uint)MessageKind.Text, Body = Google.Protobuf.ByteString.CopyFrom(body) });
            try
            {
                await acks[i].Task.WaitAsync(run.Options.DrainTimeout, run.CancellationToken);
                toAck.RecordBetween(postedAt, Stopwatch.GetTimestamp());
            }
            catch (Exception e) when (e is TimeoutException or Wire.BenchProtocolException)
            {
                run.Metrics.Error(e is Wire.BenchProtocolException p ? p.Code : "NO_SEND_ACK");
            }

            posting.Update(i + 1, $"{updates:N0} updates delivered");
        }

        await run.WaitUntilAsync(() => Interlocked.Read(ref updates) >= (long)statuses * contacts.Length, "UNDELIVERED");
        var step = run.Measured(meter, updates, "status.post_to_last_contact");
        posting.Complete($"{updates:N0} updates in {step.Seconds:0.0} s");
        run.Add(step with
        {
            Name = $"{statuses} statuses to {contacts.Length:N0} mutual contacts",
            Size = contacts.Length,
            Online = contacts.Length,
            Offline = 0,
            Sent = statuses,
            Acknowledged = acks.Count(a => a.Task.IsCompletedSuccessfully),
        });
        run.Complete(contacts.Append(poster));
        run.Report.Notes.Add("Statuses are posted one after another, each after the previous one's SEND_ACK (the node answers once every contact's queue holds it). "
            + "Node CPU per STATUS_UPDATE covers the posts, the address-book join and directory lookup, the queued items, the pushes and the contacts' ACKs.");
    }
}
