using System.Diagnostics;
using AkkaChat.Bench.Load;
using AkkaChat.Bench.Reporting;
using AkkaChat.Bench.Scenarios;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using PresenceFrame = AkkaChat.Protocol.Messages.Presence;

namespace AkkaChat.Bench.Features;

/// <summary>
/// presence-storm: --targets users watched by --watchers users each (every watcher has every target
/// in its synced address book and subscribes to all of them). Then, --cycles times, every target
/// goes offline (closes its connection) and online again (logs in), all at once: each change is one
/// PRESENCE to every watcher. Figures: notifications per second, node CPU per notification, and
/// change -> PRESENCE latency at the watchers.
/// </summary>
public static class PresenceStormScenario
{
    public static async Task RunAsync(FeatureRun run)
    {
        var targets = await run.RegisterAsync(run.Options.Targets, "watched users");
        var watchers = await run.RegisterAsync(run.Options.Watchers, "watchers");
        var indexOf = targets.Select((t, i) => (t.Phone, i)).ToDictionary(p => p.Phone, p => p.i, StringComparer.Ordinal);
        var changedAt = new long[targets.Length];
        long synced = 0, subscribed = 0, notified = 0;
        var measuring = false;
        var latency = run.Latency("presence.change_to_notification");
        var watcherRole = new FeatureRole(run.Metrics, (_, message, at) =>
        {
            switch (message)
            {
                case ContactsResult:
                    Interlocked.Increment(ref synced);
                    break;
                case PresenceFrame presence when Volatile.Read(ref measuring):
                    if (indexOf.TryGetValue(presence.Phone, out var i))
                    {
                        latency.RecordBetween(Volatile.Read(ref changedAt[i]), at);
                    }

                    Interlocked.Increment(ref notified);
                    break;
                case PresenceFrame:
                    Interlocked.Increment(ref subscribed);
                    break;
            }
        });
        var targetRole = new FeatureRole(run.Metrics, (_, _, _) => { });
        foreach (var target in targets)
        {
            target.Connection!.StartReceiving(targetRole);
        }

        var phones = targets.Select(t => t.Phone).ToArray();
        var setup = run.Progress.Start($"{watchers.Length:N0} watchers sync contacts and subscribe", watchers.Length);
        foreach (var watcher in watchers)
        {
            watcher.Connection!.StartReceiving(watcherRole);
            await watcher.Connection.WriteAsync(new ContactsSync { Phones = { phones } });
        }

        await run.WaitUntilAsync(() => Interlocked.Read(ref synced) >= watchers.Length, "NO_CONTACTS_RESULT");
        foreach (var watcher in watchers)
        {
            await watcher.Connection!.WriteAsync(new PresenceSubscribe { Phones = { phones } });
        }

        await run.WaitUntilAsync(() => Interlocked.Read(ref subscribed) >= (long)watchers.Length * targets.Length, "NO_PRESENCE");
        setup.Complete($"{subscribed:N0} subscriptions answered");

        var cycles = run.Options.Cycles;
        var perChange = (long)watchers.Length * targets.Length;
        var storm = run.Progress.Start($"{targets.Length} users go offline and online {cycles} times", cycles * 2);
        Volatile.Write(ref measuring, true);
        var meter = run.Measure();
        long expected = 0;
        for (var c = 0; c < cycles; c++)
        {
            expected += perChange;
            await Task.WhenAll(targets.Select(async (t, i) =>
            {
                Volatile.Write(ref changedAt[i], Stopwatch.GetTimestamp());
                await t.Connection!.CloseAsync();
                t.Connection = null;
            }));
            await run.WaitUntilAsync(() => Interlocked.Read(ref notified) >= expected, "NOTIFICATION_TIMEOUT");
            storm.Update(c * 2 + 1, $"{notified:N0} notifications");

            expected += perChange;
            await Task.WhenAll(targets.Select(async (t, i) =>
            {
                Volatile.Write(ref changedAt[i], Stopwatch.GetTimestamp());
                await run.LoginAsync(t, targetRole);
            }));
            await run.WaitUntilAsync(() => Interlocked.Read(ref notified) >= expected, "NOTIFICATION_TIMEOUT");
            storm.Update(c * 2 + 2, $"{notified:N0} notifications");
        }

        var step = run.Measured(meter, notified, "presence.change_to_notification");
        storm.Complete($"{notified:N0} notifications in {step.Seconds:0.0} s");
        run.Add(step with
        {
            Name = $"{targets.Length} users x {watchers.Length:N0} watchers, {cycles} cycles",
            Size = watchers.Length,
            Online = watchers.Length,
            Offline = 0,
            Sent = (long)cycles * 2 * targets.Length,
            Acknowledged = 0,
        });
        run.Complete(targets.Concat(watchers));
        run.Report.Notes.Add("A change starts when the bench closes a watched user's connection (offline) or opens one to log in again (online); "
            + "its latency ends when a watcher reads the PRESENCE. Node CPU per notification covers the whole storm, the watched users' logins included "
            + $"({targets.Length} per cycle, against {perChange:N0} notifications per change).");
    }
}
