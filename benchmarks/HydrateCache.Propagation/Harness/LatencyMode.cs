using HydrateCache.Samples;

namespace HydrateCache.Propagation.Harness;

/// <summary>
/// <c>--mode latency</c>: publish → visible, per transport and variant (raw client, ours plain, ours through Orleans,
/// FusionCache on Redis), every variant at the same paced rate with the same number of nodes, repeated.
/// </summary>
internal static class LatencyMode
{
    public static Task<int> RunAsync(Arguments args)
    {
        var messages = args.Int("--messages", 5000);
        var nodes = args.Int("--nodes", 3);
        var rate = args.Double("--rate", 1000);
        var postgresRate = args.Double("--postgres-rate", 500);
        var repeat = args.Int("--repeat", 3);
        var transports = args.List("--transports") ?? [.. new[] { "redis", "nats", "postgres" }.Where(TransportChoice.HasConfiguredServer)];
        var variants = args.List("--variants") ?? ["raw", "ours", "orleans", "fusioncache"];
        var cases = new List<BenchCase>();
        foreach (var transport in transports)
        {
            foreach (var variant in variants)
            {
                if ((variant == "raw" && transport is "inmemory" or "kafka") || (variant == "fusioncache" && transport != "redis"))
                {
                    continue;
                }

                var transportRate = transport == "postgres" ? postgresRate : rate;
                cases.Add(new BenchCase(new CaseKey(transport, variant), () => RunOnceAsync(variant, transport, nodes, messages, transportRate)));
            }
        }

        var report = new Report
        {
            Mode = "latency",
            Title = "Latency: publish → visible",
            Description =
            [
                Stats.Invariant($"{messages} updates over {FanOut.Keys} keys per run, spin-paced at {rate:0}/s ({postgresRate:0}/s on PostgreSQL), awaited one by one; {nodes} nodes."),
                "raw: the client library alone, one connection per subscriber + one publisher, messages as large as our frame. ours: HydrateChannel publisher + "
                    + Stats.Invariant($"{nodes} subscribers each hydrating its own cache. orleans: {nodes} silos in one process, a grain publishes, visible = the silo cache's Changed event; ")
                    + Stats.Invariant($"the writer's silo sees its write at once, so {nodes - 1} silos receive it over the wire. fusioncache: {nodes} nodes L1+L2+backplane, node 0 SetAsync, visible = a read on another node ")
                    + Stats.Invariant($"(started by the backplane notification) returns it; {nodes - 1} receivers."),
                "all p50/p99: per update, the time until the last receiver has it (\"visible everywhere\"); each p50/p99: every (receiver, update) pair. "
                    + "Target (issue 9) per transport: all p50 ≤ raw all p50 + 0.5 ms and all p99 ≤ 2 × raw all p99, for ours and orleans; "
                    + "on Redis ours and orleans faster than FusionCache at p50 and p99.",
            ],
            Columns =
            [
                new Column("lost", "lost"),
                new Column("all_p50_ms", "all p50 ms"),
                new Column("all_p99_ms", "all p99 ms"),
                new Column("each_p50_ms", "each p50 ms"),
                new Column("each_p90_ms", "each p90 ms"),
                new Column("each_p99_ms", "each p99 ms"),
                new Column("each_max_ms", "each max ms"),
                new Column("publish_per_s", "publish/s"),
            ],
            Ratios =
            [
                new RatioColumn("all_p50_ms", "raw", "p50 / raw"),
                new RatioColumn("all_p99_ms", "raw", "p99 / raw"),
            ],
            VerdictHeader = "target",
            Verdict = Verdict,
        };
        return Runner.RunAsync(report, cases, repeat, args.Text("--out"));
    }

    private static string Verdict(CaseKey key, Medians medians)
    {
        if (key.Variant is not ("ours" or "orleans"))
        {
            return string.Empty;
        }

        var verdicts = new List<string>();
        var raw = key with { Variant = "raw" };
        if (!double.IsNaN(medians[raw, "all_p50_ms"]))
        {
            var ok = medians[key, "all_p50_ms"] <= medians[raw, "all_p50_ms"] + 0.5 && medians[key, "all_p99_ms"] <= 2 * medians[raw, "all_p99_ms"];
            verdicts.Add(ok ? "vs raw: met" : "vs raw: MISSED");
        }

        var fusion = key with { Variant = "fusioncache" };
        if (!double.IsNaN(medians[fusion, "all_p50_ms"]))
        {
            var ok = medians[key, "all_p50_ms"] < medians[fusion, "all_p50_ms"] && medians[key, "all_p99_ms"] < medians[fusion, "all_p99_ms"];
            verdicts.Add(ok ? "vs FusionCache: faster" : "vs FusionCache: NOT faster");
        }

        if (medians[key, "lost"] > 0)
        {
            verdicts.Add("LOST UPDATES");
        }

        return string.Join("; ", verdicts);
    }

    private static async Task<RunResult> RunOnceAsync(string variant, string transport, int nodes, int messages, double rate)
    {
        await using var fanOut = await FanOut.CreateAsync(variant, transport, nodes);
        var recorder = new LatencyRecorder(fanOut.Receivers, messages);
        fanOut.Sink = recorder;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var pacer = new Pacer(rate);
        for (var i = 0; i < messages; i++)
        {
            pacer.WaitNext();
            await fanOut.PublishAsync(i);
        }

        var publishSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
        await recorder.WaitAllAsync(TimeSpan.FromSeconds(10));
        fanOut.Sink = null;
        var each = recorder.PerReceiver();
        var all = recorder.VisibleOnAll();
        var result = new RunResult { Latencies = all };
        result["receivers"] = recorder.Receivers;
        result["lost"] = recorder.Lost();
        result["all_p50_ms"] = Stats.Percentile(all, 50);
        result["all_p90_ms"] = Stats.Percentile(all, 90);
        result["all_p99_ms"] = Stats.Percentile(all, 99);
        result["all_max_ms"] = Stats.Percentile(all, 100);
        result["each_p50_ms"] = Stats.Percentile(each, 50);
        result["each_p90_ms"] = Stats.Percentile(each, 90);
        result["each_p99_ms"] = Stats.Percentile(each, 99);
        result["each_max_ms"] = Stats.Percentile(each, 100);
        result["publish_per_s"] = messages / publishSeconds;
        return result;
    }
}
