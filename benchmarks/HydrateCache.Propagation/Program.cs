using HydrateCache.Propagation;
using HydrateCache.Propagation.Harness;
using HydrateCache.Samples;

// The end-to-end harness. Every mode runs its cases through one runner (Harness/Runner.cs): repeated, interleaved,
// reported as median (min–max) in a Markdown table, with every run in CSV and latency CDFs for the plots
// (benchmarks/HydrateCache.Plots). benchmarks/README.md documents each mode and table; benchmarks/run-all.sh runs them all.
//
//   dotnet run -c Release --project benchmarks/HydrateCache.Propagation -- --mode <mode> [options] [--repeat 3] [--out DIR]
//
//   latency     publish → visible on every node: raw client vs ours vs ours through Orleans vs FusionCache (Redis)
//               [--transports redis,nats,postgres] [--variants raw,ours,orleans,fusioncache] [--nodes 3]
//               [--messages 5000] [--rate 1000] [--postgres-rate 500]
//   throughput  a ladder of offered rates per variant, loss counted, where it saturates and why
//               [--transports ...] [--variants raw,ours,orleans] [--nodes 3] [--rates 1000,2000,5000,10000,20000,0]
//               [--step-s 5] [--max-messages 200000] [--max-p99-ms 100]
//   readheavy   central-store reads and read latency: read-through + local TTL vs FusionCache vs HydrateCache (Redis)
//               [--variants readthrough,fusioncache,hydrate] [--keys 10000] [--nodes 3] [--ops 5000] [--read-percent 95]
//               [--local-ttl-ms 1000] [--warmup-s 5] [--measure-s 20]
//   propagation the original scenario: ours only, every configured transport and in-memory, one run
//               [--messages 2000] [--subscribers 3] [--pace-us 500] [--transports ...]
//   loss        loss recovery (LossScenario.cs) [--loss-percent 5] [--keys 100] [--wait-s 10] [--idle-s 10]
//               [--messages 2000] [--subscribers 3] [--pace-us 500] [--transports ...]
// Servers: eng/services.sh up (or HYDRATECACHE_REDIS / _NATS / _POSTGRES); without --transports, every configured one.
var arguments = new Arguments(args);
var mode = arguments.Text("--mode") ?? arguments.Text("--scenario") ?? "propagation";
switch (mode)
{
    case "latency":
        return await LatencyMode.RunAsync(arguments);
    case "throughput":
        return await ThroughputMode.RunAsync(arguments);
    case "readheavy":
        return await ReadHeavyMode.RunAsync(arguments);
    case "propagation":
        // The original harness: ours on every configured transport (and in-memory), as the latency mode's "ours" variant.
        return await LatencyMode.RunAsync(new Arguments(
        [
            "--variants", "ours",
            "--transports", arguments.Text("--transports") ?? string.Join(',', TransportChoice.Names.Where(n => n == "inmemory" || TransportChoice.HasConfiguredServer(n))),
            "--messages", arguments.Text("--messages", "2000"),
            "--nodes", arguments.Text("--subscribers", "3"),
            "--rate", (1_000_000 / arguments.Double("--pace-us", 500)).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--postgres-rate", (1_000_000 / arguments.Double("--pace-us", 500)).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--repeat", arguments.Text("--repeat", "1"),
            .. arguments.Text("--out") is { } outDirectory ? new[] { "--out", outDirectory } : [],
        ]));
    case "loss":
        var transports = arguments.List("--transports")
            ?? [.. TransportChoice.Names.Where(name => name == "inmemory" || TransportChoice.HasConfiguredServer(name))];
        return await LossScenario.RunAsync(
            new LossSettings(
                arguments.Int("--messages", 2000),
                arguments.Int("--keys", 100),
                arguments.Int("--subscribers", 3),
                TimeSpan.FromMicroseconds(arguments.Int("--pace-us", 500)),
                arguments.Double("--loss-percent", 5),
                TimeSpan.FromSeconds(arguments.Int("--wait-s", 10)),
                TimeSpan.FromSeconds(arguments.Int("--idle-s", 10))),
            transports);
    default:
        Console.Error.WriteLine($"Unknown mode '{mode}': use latency, throughput, readheavy, propagation or loss.");
        return 2;
}
