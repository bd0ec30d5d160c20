using System.Diagnostics;
using System.Globalization;
using HydrateCache.Samples;

namespace HydrateCache.Propagation.Harness;

/// <summary>
/// <c>--mode throughput</c>: a ladder of offered rates (and unpaced), each held for a few seconds, per transport and
/// variant. Every (receiver, update) pair is counted: lost = published × receivers − arrivals after a drain wait.
/// Stale at end counts the (receiver, key) pairs whose newest update never arrived: whether a receiver that skipped
/// updates under overload still converged. A step is sustained when nothing was lost in any run, the publisher kept the
/// offered rate (≥ 95 %) and the p99 latency stayed under a bound; the sustained rate of a variant is the highest
/// delivered rate of its sustained steps.
/// </summary>
internal static class ThroughputMode
{
    public static Task<int> RunAsync(Arguments args)
    {
        var nodes = args.Int("--nodes", 3);
        var seconds = args.Double("--step-s", 5);
        var rates = args.Ints("--rates", [2000, 10000, 20000, 50000, 100000, 0]);
        var maxMessages = args.Int("--max-messages", 200_000);
        var maxP99 = args.Double("--max-p99-ms", 100);
        var window = args.Int("--window", 32);
        if (window < 1 || window >= FanOut.Keys)
        {
            throw new ArgumentException($"--window must be between 1 and {FanOut.Keys - 1} (fewer than the keys, so two publishes of one key never overlap).");
        }

        var repeat = args.Int("--repeat", 3);
        var transports = args.List("--transports") ?? [.. new[] { "redis", "nats", "postgres" }.Where(TransportChoice.HasConfiguredServer)];
        var variants = args.List("--variants") ?? ["raw", "ours", "orleans", "orleans-direct"];
        var cases = new List<BenchCase>();
        foreach (var transport in transports)
        {
            foreach (var variant in variants.Where(v => !(v == "raw" && transport is "inmemory" or "kafka") && !(v == "fusioncache" && transport != "redis")))
            {
                foreach (var rate in rates)
                {
                    cases.Add(new BenchCase(
                        new CaseKey(transport, variant, StepName(rate)),
                        () => RunStepAsync(variant, transport, nodes, rate, seconds, maxMessages, window)));
                }
            }
        }

        var report = new Report
        {
            Mode = "throughput",
            Title = "Throughput: sustained fan-out with counted loss",
            Description =
            [
                Stats.Invariant($"Each step: a fresh system, warmed up, then updates over {FanOut.Keys} keys offered at the step's rate for {seconds} s (unpaced: as fast as the window allows, at most {maxMessages}); {nodes} nodes (orleans: {nodes} silos, {nodes - 1} receiving)."),
                Stats.Invariant($"Every variant publishes with up to {window} publishes in flight, in order: publish n starts once publish n − {window} has completed ({window} < {FanOut.Keys} keys, so two publishes of one key never overlap and every update is expected to arrive). A publisher bound by its round trip shows as published/s < offered."),
                Stats.Invariant($"lost: (receiver, update) pairs never seen, counted after a drain wait of up to 10 s. delivered/s: arrivals per receiver / (last arrival − first publish). stale at end: (receiver, key) pairs whose newest update never arrived (out of {FanOut.Keys} × receivers): skipped updates that left a receiver behind, not only superseded ones."),
                Stats.Invariant($"Sustained: lost = 0 in every run (not only the median), published ≥ 95 % of offered (median), each p99 ≤ {maxP99} ms (median)."),
                "cpu: this process (every node of the variant runs in it) and the whole machine (servers included), % of all cores.",
            ],
            Columns =
            [
                new Column("published_per_s", "published/s"),
                new Column("delivered_per_s", "delivered/s"),
                new Column("lost", "lost"),
                new Column("stale_at_end", "stale at end"),
                new Column("each_p50_ms", "p50 ms"),
                new Column("each_p99_ms", "p99 ms"),
                new Column("process_cpu_pct", "process cpu %"),
                new Column("machine_cpu_pct", "machine cpu %"),
            ],
            Ratios = [new RatioColumn("delivered_per_s", "raw", "delivered / raw")],
            VerdictHeader = "sustained",
            Verdict = (key, medians) => Sustained(key, medians, maxP99) ? "yes" : Reason(key, medians, maxP99),
            After = (text, medians) => Summary(text, medians, cases, maxP99),
        };
        return Runner.RunAsync(report, cases, repeat, args.Text("--out"));
    }

    private static string StepName(int rate) => rate > 0 ? rate.ToString(CultureInfo.InvariantCulture) + "/s" : "unpaced";

    private static double Offered(CaseKey key) =>
        key.Step == "unpaced" ? double.NaN : double.Parse(key.Step[..^2], CultureInfo.InvariantCulture);

    private static bool Sustained(CaseKey key, Medians medians, double maxP99) =>
        medians.Max(key, "lost") == 0
        && (double.IsNaN(Offered(key)) || medians[key, "published_per_s"] >= 0.95 * Offered(key))
        && medians[key, "each_p99_ms"] <= maxP99;

    private static string Reason(CaseKey key, Medians medians, double maxP99)
    {
        var reasons = new List<string>();
        if (medians.Max(key, "stale_at_end") > 0)
        {
            reasons.Add("ENDED STALE");
        }

        if (medians.Max(key, "lost") > 0)
        {
            reasons.Add(medians[key, "lost"] > 0 ? "loss" : "loss in a run");
        }

        if (!double.IsNaN(Offered(key)) && medians[key, "published_per_s"] < 0.95 * Offered(key))
        {
            reasons.Add("publisher behind (round trip)");
        }

        if (medians[key, "each_p99_ms"] > maxP99)
        {
            reasons.Add("receivers behind (queueing)");
        }

        if (medians[key, "machine_cpu_pct"] >= 90)
        {
            reasons.Add("machine CPU saturated");
        }

        return "no: " + string.Join(", ", reasons);
    }

    private static void Summary(System.Text.StringBuilder text, Medians medians, IReadOnlyList<BenchCase> cases, double maxP99)
    {
        text.AppendLine();
        text.AppendLine("Sustained rate per variant (highest delivered/s among sustained steps, from the medians) and where it saturates:");
        text.AppendLine();
        text.AppendLine("| transport | variant | sustained delivered/s | vs raw | first step not sustained | why |");
        text.AppendLine("|---|---|---|---|---|---|");
        var groups = cases.Select(c => c.Key).GroupBy(k => (k.Transport, k.Variant));
        var sustained = groups.ToDictionary(
            g => g.Key,
            g => g.Where(k => Sustained(k, medians, maxP99)).Select(k => medians[k, "delivered_per_s"]).DefaultIfEmpty(double.NaN).Max());
        foreach (var group in groups)
        {
            var rate = sustained[group.Key];
            var raw = sustained.TryGetValue((group.Key.Transport, "raw"), out var r) ? r : double.NaN;
            var firstFailing = group.FirstOrDefault(k => !Sustained(k, medians, maxP99));
            var versus = group.Key.Variant == "raw" || double.IsNaN(raw) || double.IsNaN(rate)
                ? "–"
                : Stats.Invariant($"{100 * rate / raw:0} % {(rate >= 0.5 * raw ? "(target ≥ 50 %: met)" : "(target ≥ 50 %: MISSED)")}");
            text.AppendLine(Stats.Invariant(
                $"| {group.Key.Transport} | {group.Key.Variant} | {Stats.Format(rate)} | {versus} | {firstFailing?.Step ?? "none"} | {(firstFailing is null ? "" : Reason(firstFailing, medians, maxP99))} |"));
        }
    }

    private static async Task<RunResult> RunStepAsync(string variant, string transport, int nodes, int rate, double seconds, int maxMessages, int window)
    {
        await using var fanOut = await FanOut.CreateAsync(variant, transport, nodes);
        var capacity = rate > 0 ? (int)Math.Min(maxMessages, rate * seconds) : maxMessages;
        var recorder = new LatencyRecorder(fanOut.Receivers, capacity);
        fanOut.Sink = recorder;
        var cpu = new CpuMeter();
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(seconds * Stopwatch.Frequency);
        var pacer = new Pacer(rate);
        var published = 0;
        var inFlight = new Task[window];
        // A paced step ends at its deadline too: a publisher behind its rate does not stretch the step.
        while (published < capacity && Stopwatch.GetTimestamp() < deadline)
        {
            pacer.WaitNext();
            var slot = published % window;
            if (inFlight[slot] is { } previous)
            {
                await previous;
            }

            inFlight[slot] = fanOut.PublishAsync(published).AsTask();
            published++;
        }

        await Task.WhenAll(inFlight.Where(t => t is not null));

        var publishSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await recorder.WaitAllAsync(TimeSpan.FromSeconds(10), published);
        var processCpu = cpu.ProcessPercent();
        var machineCpu = cpu.MachinePercent();
        fanOut.Sink = null;
        var each = recorder.PerReceiver(published);
        var deliveredSeconds = Stopwatch.GetElapsedTime(started, Math.Max(recorder.LastArrival, started + 1)).TotalSeconds;
        var result = new RunResult { Latencies = each };
        result["offered_per_s"] = rate > 0 ? rate : double.NaN;
        result["published"] = published;
        result["published_per_s"] = published / publishSeconds;
        result["delivered_per_s"] = recorder.Delivered / (double)recorder.Receivers / deliveredSeconds;
        result["lost"] = recorder.Lost(published);
        result["stale_at_end"] = recorder.StaleAtEnd(FanOut.Keys, published);
        result["each_p50_ms"] = Stats.Percentile(each, 50);
        result["each_p99_ms"] = Stats.Percentile(each, 99);
        result["process_cpu_pct"] = processCpu;
        result["machine_cpu_pct"] = machineCpu;
        return result;
    }
}
