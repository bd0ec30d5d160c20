using System.Diagnostics;
using System.Globalization;

namespace HydrateCache.Propagation;

/// <summary>The settings of the loss scenario.</summary>
internal sealed record LossSettings(int Messages, int Keys, int Subscribers, TimeSpan Pace, double LossPercent, TimeSpan Wait, TimeSpan Idle);

/// <summary>
/// The loss scenario (<c>--scenario loss</c>): per transport, each subscriber loses a share of the updates it receives
/// (<see cref="MeteredTransport"/>); the publisher publishes its updates, then stops, so the run ends with the loss. Once
/// with loss recovery on and once with it off (the baseline), it reports how long after the last publish every
/// subscriber's cache equals the publisher's, or how many keys stay stale or missing; and, from the frames counted on
/// the wire, the traffic of recovery (heartbeats, NAKs, replies, retransmissions) under load and at idle, as ratios to
/// the traffic of the updates in the same run.
/// </summary>
internal static class LossScenario
{
    public static async Task<int> RunAsync(LossSettings settings, IReadOnlyList<string> transports)
    {
        Console.WriteLine(Invariant(
            $"{settings.Messages} updates over {settings.Keys} keys, 1 publisher, {settings.Subscribers} subscribers, one update every {settings.Pace.TotalMicroseconds} µs, each subscriber loses {settings.LossPercent}% of first arrivals"));
        var runs = new List<LossRun>();
        var exitCode = 0;
        foreach (var name in transports)
        {
            foreach (var recovery in new[] { true, false })
            {
                try
                {
                    var run = await RunOnceAsync(name, recovery, settings);
                    runs.Add(run);
                    exitCode |= recovery && run.ConvergedAfter is null ? 1 : 0;
                }
                catch (Exception ex)
                {
                    Console.WriteLine($"{name} (recovery {(recovery ? "on" : "off")}) failed: {ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}");
                    exitCode = 1;
                }
            }
        }

        PrintConvergence(runs, settings);
        PrintLoad([.. runs.Where(r => r.Recovery)]);
        PrintIdle([.. runs.Where(r => r.Recovery && r.Idle is not null)]);
        return exitCode;
    }

    private static async Task<LossRun> RunOnceAsync(string name, bool recovery, LossSettings settings)
    {
        MeteredTransport? publisherWire = null;
        var subscriberWires = new List<MeteredTransport>();
        await using var fleet = await Fleet.StartAsync(name, new FleetOptions
        {
            Subscribers = settings.Subscribers,
            Recovery = recovery,
            PublisherCache = true,
            WrapPublisher = inner => publisherWire = new MeteredTransport(inner, 0),
            WrapSubscriber = inner =>
            {
                var wire = new MeteredTransport(inner, settings.LossPercent);
                subscriberWires.Add(wire);
                return wire;
            },
        });
        var publisher = publisherWire!;
        var reference = fleet.PublisherCache!;
        await fleet.WarmUpAsync();

        foreach (var wire in subscriberWires)
        {
            wire.Lossy = true;
        }

        var start = Reading.Take(publisher, subscriberWires);
        await fleet.PublishPacedAsync(settings.Messages, settings.Keys, settings.Pace);
        var lastPublish = Stopwatch.GetTimestamp();
        TimeSpan? convergedAfter = null;
        var divergence = Divergence(reference, fleet.Caches);
        while (divergence.Stale + divergence.Missing > 0 && Stopwatch.GetElapsedTime(lastPublish) < settings.Wait)
        {
            await Task.Delay(5);
            divergence = Divergence(reference, fleet.Caches);
        }

        if (divergence.Stale + divergence.Missing == 0)
        {
            convergedAfter = Stopwatch.GetElapsedTime(lastPublish);
        }

        var settled = Reading.Take(publisher, subscriberWires);
        TimeSpan? quietAfter = null;
        Window? idle = null;
        if (recovery)
        {
            // A converged cache may still miss older updates that later ones replaced: recovery goes on until every gap
            // is filled or given up. The idle window starts once no NAK, reply or retransmission was sent for 2 s.
            quietAfter = await WaitQuietAsync(publisher, subscriberWires, lastPublish, settings.Wait);
            var quiet = Reading.Take(publisher, subscriberWires);
            await Task.Delay(settings.Idle);
            idle = Reading.Take(publisher, subscriberWires) - quiet;
        }

        return new LossRun(
            name,
            recovery,
            subscriberWires.Sum(w => w.Lost),
            convergedAfter,
            quietAfter,
            divergence.Stale,
            divergence.Missing,
            fleet.Subscribers.Sum(s => s.Statistics.Recovered),
            fleet.Subscribers.Sum(s => s.Statistics.Unrecovered),
            fleet.Subscribers.Sum(s => s.Statistics.RetransmitRequests),
            fleet.Publisher.Statistics.Retransmitted,
            settled - start,
            idle,
            CheckCounters(fleet, publisher, subscriberWires));
    }

    /// <summary>
    /// Waits until no node sent a NAK, reply or retransmission for 2 s (giving up <paramref name="limit"/> after the last
    /// publish); returns how long after the last publish the last of them was sent (zero when all were sent before it),
    /// or null when recovery did not go quiet.
    /// </summary>
    private static async Task<TimeSpan?> WaitQuietAsync(MeteredTransport publisher, IReadOnlyList<MeteredTransport> subscribers, long lastPublish, TimeSpan limit)
    {
        var quietFor = TimeSpan.FromSeconds(2);
        long LastSent() => subscribers.Append(publisher).Max(w => w.LastRecoverySent);
        while (Stopwatch.GetElapsedTime(Math.Max(LastSent(), lastPublish)) < quietFor)
        {
            if (Stopwatch.GetElapsedTime(lastPublish) > limit + quietFor)
            {
                return null;
            }

            await Task.Delay(20);
        }

        return LastSent() > lastPublish ? Stopwatch.GetElapsedTime(lastPublish, LastSent()) : TimeSpan.Zero;
    }

    /// <summary>Counts, over every subscriber, the publisher's keys whose version the subscriber lacks (stale) or whose key it lacks (missing).</summary>
    private static (int Stale, int Missing) Divergence(LocalHydratedCache<Tick> reference, IReadOnlyList<LocalHydratedCache<Tick>> caches)
    {
        var stale = 0;
        var missing = 0;
        foreach (var key in reference.Keys)
        {
            if (!reference.TryGetVersion(key, out var version, out _))
            {
                continue;
            }

            foreach (var cache in caches)
            {
                if (!cache.TryGetVersion(key, out var held, out _))
                {
                    missing++;
                }
                else if (held != version)
                {
                    stale++;
                }
            }
        }

        return (stale, missing);
    }

    /// <summary>Compares the channels' statistics with the frames counted on the wire over the whole run: "ok" or the differences.</summary>
    private static string CheckCounters(Fleet fleet, MeteredTransport publisher, IReadOnlyList<MeteredTransport> subscribers)
    {
        var differences = new List<string>();
        Compare("publisher Published", fleet.Publisher.Statistics.Published, publisher.Sent.Read().Messages(FrameKind.Update));
        Compare("publisher HeartbeatsSent", fleet.Publisher.Statistics.HeartbeatsSent, publisher.Sent.Read().Messages(FrameKind.Heartbeat));
        Compare("publisher Retransmitted", fleet.Publisher.Statistics.Retransmitted, publisher.Sent.Read().Messages(FrameKind.Retransmission));
        Compare("publisher ControlBytesSent", fleet.Publisher.Statistics.ControlBytesSent, ControlBytes(publisher.Sent.Read()));
        Compare("subscribers RetransmitRequests", fleet.Subscribers.Sum(s => s.Statistics.RetransmitRequests), subscribers.Sum(w => w.Sent.Read().Messages(FrameKind.Nak)));
        Compare("subscribers ControlBytesSent", fleet.Subscribers.Sum(s => s.Statistics.ControlBytesSent), subscribers.Sum(w => ControlBytes(w.Sent.Read())));
        return differences.Count == 0 ? "ok" : string.Join("; ", differences);

        void Compare(string counter, long statistics, long wire)
        {
            if (statistics != wire)
            {
                differences.Add(Invariant($"{counter} {statistics} ≠ wire {wire}"));
            }
        }
    }

    private static long ControlBytes(Traffic traffic) =>
        traffic.Bytes(FrameKind.Heartbeat) + traffic.Bytes(FrameKind.Nak) + traffic.Bytes(FrameKind.NakReply) + traffic.Bytes(FrameKind.OtherControl);

    private static void PrintConvergence(List<LossRun> runs, LossSettings settings)
    {
        Console.WriteLine();
        Console.WriteLine(Invariant($"Convergence after the last publish (stale/missing: keys summed over the {settings.Subscribers} subscribers, out of {(settings.Keys + 1) * settings.Subscribers}; checked every 5 ms, given up after {settings.Wait.TotalSeconds} s;"));
        Console.WriteLine("recovery quiet after: when the last NAK, reply or retransmission was sent, once none followed for 2 s)");
        Console.WriteLine();
        Console.WriteLine("| transport | recovery | dropped | converged after ms | recovery quiet after ms | stale keys | missing keys | recovered | unrecovered | NAKs | retransmitted | counters = wire |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var run in runs)
        {
            var quiet = run.QuietAfter is { } q ? Invariant($"{q.TotalMilliseconds:0}") : run.Recovery ? "never" : "";
            var converged = run.ConvergedAfter is { } after ? Invariant($"{after.TotalMilliseconds:0}") : "never";
            Console.WriteLine(Invariant(
                $"| {run.Transport} | {(run.Recovery ? "on" : "off")} | {run.Dropped} | {converged} | {quiet} | {run.Stale} | {run.Missing} | {run.Recovered} | {run.Unrecovered} | {run.Naks} | {run.Retransmitted} | {run.CounterCheck} |"));
        }
    }

    private static void PrintLoad(List<LossRun> runs)
    {
        Console.WriteLine();
        Console.WriteLine("Recovery traffic under load (recovery on), from the first publish until converged. Sent: what the node hands to its transport;");
        Console.WriteLine("overhead = heartbeats + NAKs + replies + retransmissions; ratio = overhead / the publisher's update traffic in the same window.");
        Console.WriteLine("Received: per subscriber, overhead delivered to it / updates delivered to it.");
        Console.WriteLine();
        Console.WriteLine("| transport | window s | updates/s | update B/s | publisher msg/s | publisher B/s | publisher msg ratio | publisher B ratio | heartbeats | retransmissions | replies | subscriber msg/s | subscriber B/s | subscriber msg ratio | subscriber B ratio | received msg ratio | received B ratio |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var run in runs)
        {
            var load = run.Load;
            var seconds = load.Duration.TotalSeconds;
            var updates = load.PublisherSent.Messages(FrameKind.Update);
            var updateBytes = load.PublisherSent.Bytes(FrameKind.Update);
            var subscriberSent = Mean(load.SubscribersSent);
            var received = load.SubscribersReceived.Aggregate(Traffic.Zero, (a, b) => a + b);
            Console.WriteLine(Invariant(
                $"| {run.Transport} | {seconds:0.00} | {updates / seconds:0} | {updateBytes / seconds:0} | {load.PublisherSent.OverheadMessages / seconds:0.00} | {load.PublisherSent.OverheadBytes / seconds:0} | {Share(load.PublisherSent.OverheadMessages, updates)} | {Share(load.PublisherSent.OverheadBytes, updateBytes)} | {load.PublisherSent.Messages(FrameKind.Heartbeat)} | {load.PublisherSent.Messages(FrameKind.Retransmission)} | {load.PublisherSent.Messages(FrameKind.NakReply)} | {subscriberSent.Messages / seconds:0.00} | {subscriberSent.Bytes / seconds:0} | {Share(subscriberSent.Messages, updates)} | {Share(subscriberSent.Bytes, updateBytes)} | {Share(received.OverheadMessages, received.Messages(FrameKind.Update))} | {Share(received.OverheadBytes, received.Bytes(FrameKind.Update))} |"));
        }
    }

    private static void PrintIdle(List<LossRun> runs)
    {
        Console.WriteLine();
        Console.WriteLine("Recovery traffic at idle (recovery on): the window after recovery went quiet, no updates published. Ratios are to the update traffic");
        Console.WriteLine("of the load window before it (updates/s, update B/s), since at idle there is none.");
        Console.WriteLine();
        Console.WriteLine("| transport | window s | publisher msg/s | publisher B/s | publisher msg ratio | publisher B ratio | subscriber msg/s | subscriber B/s | received msg/s per subscriber | received B/s per subscriber |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var run in runs)
        {
            var idle = run.Idle!;
            var seconds = idle.Duration.TotalSeconds;
            var loadSeconds = run.Load.Duration.TotalSeconds;
            var updateRate = run.Load.PublisherSent.Messages(FrameKind.Update) / loadSeconds;
            var updateByteRate = run.Load.PublisherSent.Bytes(FrameKind.Update) / loadSeconds;
            var subscriberSent = Mean(idle.SubscribersSent);
            var received = Mean(idle.SubscribersReceived);
            var publisherRate = idle.PublisherSent.OverheadMessages / seconds;
            var publisherByteRate = idle.PublisherSent.OverheadBytes / seconds;
            Console.WriteLine(Invariant(
                $"| {run.Transport} | {seconds:0.0} | {publisherRate:0.00} | {publisherByteRate:0.0} | {Share(publisherRate, updateRate)} | {Share(publisherByteRate, updateByteRate)} | {subscriberSent.Messages / seconds:0.00} | {subscriberSent.Bytes / seconds:0.0} | {received.Messages / seconds:0.00} | {received.Bytes / seconds:0.0} |"));
        }
    }

    /// <summary>The mean recovery overhead (messages, bytes) of the subscribers.</summary>
    private static (double Messages, double Bytes) Mean(IReadOnlyList<Traffic> traffic) =>
        traffic.Count == 0 ? (0, 0) : (traffic.Average(t => t.OverheadMessages), traffic.Average(t => t.OverheadBytes));

    private static string Share(double part, double whole) => whole > 0 ? Invariant($"{part / whole:0.00000}") : "n/a";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Every node's counted traffic at one moment.</summary>
    private sealed record Reading(long Timestamp, Traffic PublisherSent, IReadOnlyList<Traffic> SubscribersSent, IReadOnlyList<Traffic> SubscribersReceived)
    {
        public static Reading Take(MeteredTransport publisher, IReadOnlyList<MeteredTransport> subscribers) =>
            new(Stopwatch.GetTimestamp(), publisher.Sent.Read(), [.. subscribers.Select(s => s.Sent.Read())], [.. subscribers.Select(s => s.Received.Read())]);

        public static Window operator -(Reading later, Reading earlier) =>
            new(
                Stopwatch.GetElapsedTime(earlier.Timestamp, later.Timestamp),
                later.PublisherSent - earlier.PublisherSent,
                [.. later.SubscribersSent.Zip(earlier.SubscribersSent, (a, b) => a - b)],
                [.. later.SubscribersReceived.Zip(earlier.SubscribersReceived, (a, b) => a - b)]);
    }

    /// <summary>Every node's traffic between two readings.</summary>
    private sealed record Window(TimeSpan Duration, Traffic PublisherSent, IReadOnlyList<Traffic> SubscribersSent, IReadOnlyList<Traffic> SubscribersReceived);

    private sealed record LossRun(
        string Transport,
        bool Recovery,
        long Dropped,
        TimeSpan? ConvergedAfter,
        TimeSpan? QuietAfter,
        int Stale,
        int Missing,
        long Recovered,
        long Unrecovered,
        long Naks,
        long Retransmitted,
        Window Load,
        Window? Idle,
        string CounterCheck);
}
