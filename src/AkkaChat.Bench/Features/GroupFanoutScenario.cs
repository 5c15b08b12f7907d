using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using AkkaChat.Bench.Load;
using AkkaChat.Bench.Reporting;
using AkkaChat.Bench.Scenarios;
using AkkaChat.Protocol;
using AkkaChat.Bench.Wire;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;

namespace AkkaChat.Bench.Features;

/// <summary>
/// group-fanout: for each size of --group-sizes, a new group of that many registered users (one
/// sender and size - 1 members). A share of the members (--offline-fraction) goes offline; the
/// sender sends --messages messages to the group at --rate per second, each acknowledged once; the
/// online members receive and acknowledge every DELIVER; then the offline members log in and drain
/// their queues. Per size: copies delivered per second, node CPU per delivered copy, and send ->
/// DELIVER p50 / p99 to the last online member of each message.
/// </summary>
public static class GroupFanoutScenario
{
    public const double DefaultRatePerGroup = 20;

    public static async Task RunAsync(FeatureRun run)
    {
        var all = new List<BenchUser>();
        foreach (var size in run.Options.GroupSizes)
        {
            all.AddRange(await StepAsync(run, size));
        }

        run.Complete(all);
        run.Report.Notes.Add($"Per group: {run.Options.Messages:N0} messages from one sender at {run.Options.Rate ?? DefaultRatePerGroup:N0}/s, "
            + $"{run.Options.OfflineFraction:P0} of the other members offline while it sends; they log in and drain afterwards. "
            + "Node CPU per delivered copy covers the whole step (group journal, members' queues, DELIVERs, ACKs, DELIVERED receipts to the sender, the offline members' logins and drains) "
            + "divided by every copy delivered, online and offline. Latency is measured from each SEND's scheduled time; 'to the last member' is per message, to its last online member.");
    }

    private static async Task<BenchUser[]> StepAsync(FeatureRun run, int size)
    {
        var users = await run.RegisterAsync(size, $"users for a group of {size}");
        var sender = users[0];
        var members = users[1..];
        var offlineCount = (int)Math.Round(members.Length * run.Options.OfflineFraction);
        var online = members[..(members.Length - offlineCount)];
        var offline = members[(members.Length - offlineCount)..];
        var messages = run.Options.Messages;
        var remaining = new int[messages];
        long infos = 0, onlineCopies = 0, offlineCopies = 0, acked = 0, failed = 0;
        var perCopy = run.Latency($"group_{size}.send_to_deliver");
        var toLast = run.Latency($"group_{size}.send_to_last_member");
        var toAck = run.Latency($"group_{size}.send_to_send_ack");
        var created = new TaskCompletionSource<GroupInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        var requestId = $"bench-{size}-{run.PhonePrefix}";

        var senderRole = new FeatureRole(run.Metrics, (_, message, at) =>
        {
            switch (message)
            {
                case GroupInfo info when info.RequestId == requestId:
                    created.TrySetResult(info);
                    break;
                case SendAck ack:
                    if (TryReadStamp(ack.ClientMsgId, out var sentAt))
                    {
                        toAck.RecordBetween(sentAt, at);
                    }

                    Interlocked.Increment(ref acked);
                    break;
                case Error { Ref.Length: > 0 }:
                    Interlocked.Increment(ref failed);
                    break;
            }
        });
        var memberRole = new FeatureRole(run.Metrics, (_, message, at) =>
        {
            switch (message)
            {
                case GroupInfo:
                    Interlocked.Increment(ref infos);
                    break;
                case Deliver { GroupId.Length: > 0 } deliver when deliver.Body.Length >= 12:
                    var sentAt = FeatureRun.StampOf(deliver.Body);
                    var index = BinaryPrimitives.ReadInt32LittleEndian(deliver.Body.Span[8..]);
                    perCopy.RecordBetween(sentAt, at);
                    Interlocked.Increment(ref onlineCopies);
                    if ((uint)index < (uint)remaining.Length && Interlocked.Decrement(ref remaining[index]) == 0)
                    {
                        toLast.RecordBetween(sentAt, at);
                    }

                    break;
            }
        });
        sender.Connection!.StartReceiving(senderRole);
        foreach (var member in members)
        {
            member.Connection!.StartReceiving(memberRole);
        }

        // The group, and every member's first GROUP_INFO, before anything is measured.
        await sender.Connection.WriteAsync(new GroupCreate { RequestId = requestId, Subject = $"bench {size}", Members = { members.Select(m => m.Phone) } });
        var group = await created.Task.WaitAsync(run.Options.DrainTimeout, run.CancellationToken);
        await run.WaitUntilAsync(() => Interlocked.Read(ref infos) >= members.Length, "NO_GROUP_INFO");
        await Task.WhenAll(offline.Select(async m =>
        {
            await m.Connection!.CloseAsync();
            m.Connection = null;
        }));

        Array.Fill(remaining, online.Length);
        var phase = run.Progress.Start($"group of {size}: send {messages:N0} messages", messages);
        var meter = run.Measure();
        var rate = run.Options.Rate ?? DefaultRatePerGroup;
        var start = Stopwatch.GetTimestamp();
        var send = new Send { To = "g:" + group.GroupId, Kind = (uint)MessageKind.Text };
        for (var i = 0; i < messages; i++)
        {
            var due = start + (long)(i * Stopwatch.Frequency / rate);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, run.CancellationToken);
            }

            var body = new byte[Math.Max(12, run.Options.BodyBytes)];
            BinaryPrimitives.WriteInt64LittleEndian(body, due);
            BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(8), i);
            send.ClientMsgId = string.Create(CultureInfo.InvariantCulture, $"{i:x}-{due:x}");
            send.Body = UnsafeByteOperations.UnsafeWrap(body);
            await sender.Connection.WriteAsync(send);
            phase.Update(i + 1, $"{Interlocked.Read(ref acked):N0} acked, {Interlocked.Read(ref onlineCopies):N0} copies delivered");
        }

        await run.WaitUntilAsync(() => Interlocked.Read(ref acked) + Interlocked.Read(ref failed) >= messages, "NO_SEND_ACK");
        await run.WaitUntilAsync(() => Interlocked.Read(ref onlineCopies) >= Interlocked.Read(ref acked) * online.Length, "UNDELIVERED");
        var onlineSeconds = meter.WallSeconds;
        var onlineNode = meter.NodeSeconds();
        phase.Complete($"{acked:N0} acked, {onlineCopies:N0} copies to {online.Length:N0} online members in {onlineSeconds:0.0} s");

        // The offline members log in and drain every message (and their GROUP_INFO again if their
        // ACK of it had not reached the node when they left).
        var draining = run.Progress.Start($"group of {size}: {offline.Length:N0} offline members log in and drain", Math.Max(1, offline.Length));
        var drainStarted = Stopwatch.GetTimestamp();
        var drainRole = new FeatureRole(run.Metrics, (_, message, _) =>
        {
            if (message is Deliver { GroupId.Length: > 0 })
            {
                Interlocked.Increment(ref offlineCopies);
            }
        });
        await Parallel.ForEachAsync(offline, new ParallelOptions { MaxDegreeOfParallelism = run.Options.Concurrency, CancellationToken = run.CancellationToken },
            async (member, _) =>
            {
                try
                {
                    await run.LoginAsync(member, drainRole);
                }
                catch (BenchProtocolException e)
                {
                    run.Metrics.Error(e.Code);
                }
            });
        await run.WaitUntilAsync(() => Interlocked.Read(ref offlineCopies) >= Interlocked.Read(ref acked) * offline.Length, "DRAIN_TIMEOUT");
        var drainSeconds = Stopwatch.GetElapsedTime(drainStarted).TotalSeconds;
        draining.Complete($"{offlineCopies:N0} copies in {drainSeconds:0.0} s");

        var step = run.Measured(meter, onlineCopies + offlineCopies, $"group_{size}.send_to_last_member");
        run.Add(step with
        {
            Name = $"group of {size}",
            Size = size,
            Online = online.Length,
            Offline = offline.Length,
            Sent = messages,
            Acknowledged = acked,
            Extra = new SortedDictionary<string, double>(StringComparer.Ordinal)
            {
                ["online_copies"] = onlineCopies,
                ["offline_copies"] = offlineCopies,
                ["online_phase_seconds"] = Math.Round(onlineSeconds, 3),
                ["online_copies_per_second"] = onlineSeconds > 0 ? Math.Round(onlineCopies / onlineSeconds, 1) : 0,
                ["node_micros_per_fanned_out_copy_online_phase"] = onlineNode is { } on && acked > 0 ? Math.Round(on * 1e6 / (acked * members.Length), 1) : -1,
                ["offline_drain_seconds"] = Math.Round(drainSeconds, 3),
            },
        });
        return users;
    }

    private static bool TryReadStamp(string clientMsgId, out long stamp)
    {
        var dash = clientMsgId.IndexOf('-');
        stamp = 0;
        return dash > 0 && long.TryParse(clientMsgId.AsSpan(dash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out stamp);
    }
}
