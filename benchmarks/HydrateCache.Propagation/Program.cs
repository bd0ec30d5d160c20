using System.Diagnostics;
using System.Globalization;
using HydrateCache.Propagation;
using HydrateCache.Samples;

// The end-to-end propagation harness: one publisher and N subscribers (each its own client, as separate processes
// would be) hydrate local caches over every available transport. It reports, per transport, how long an update takes
// from PublishAsync to the subscriber's cache, the publish throughput, and whether every subscriber got every update,
// as ratios against the in-memory transport measured in the same run.
//
//   dotnet run -c Release --project benchmarks/HydrateCache.Propagation -- [--messages 2000] [--subscribers 3]
//       [--pace-us 500] [--transports inmemory,redis,nats,postgres,kafka]
// Without --transports: in-memory plus every transport whose server eng/services.sh (or HYDRATECACHE_*) names.
//
// The loss scenario (see LossScenario.cs): subscribers lose a share of the updates they receive; with loss recovery on
// and off, how long until every subscriber's cache equals the publisher's, and what recovery costs on the wire:
//
//   dotnet run -c Release --project benchmarks/HydrateCache.Propagation -- --scenario loss [--loss-percent 5]
//       [--keys 100] [--wait-s 10] [--idle-s 10] [--messages 2000] [--subscribers 3] [--pace-us 500] [--transports ...]
var messages = ReadInt(args, "--messages", 2000);
var subscribers = ReadInt(args, "--subscribers", 3);
var pace = TimeSpan.FromMicroseconds(ReadInt(args, "--pace-us", 500));
var transports = ReadOption(args, "--transports")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
    ?? [.. TransportChoice.Names.Where(name => name == "inmemory" || TransportChoice.HasConfiguredServer(name))];
switch (ReadOption(args, "--scenario"))
{
    case "loss":
        return await LossScenario.RunAsync(
            new LossSettings(
                messages,
                ReadInt(args, "--keys", 100),
                subscribers,
                pace,
                double.TryParse(ReadOption(args, "--loss-percent"), CultureInfo.InvariantCulture, out var lossPercent) ? lossPercent : 5,
                TimeSpan.FromSeconds(ReadInt(args, "--wait-s", 10)),
                TimeSpan.FromSeconds(ReadInt(args, "--idle-s", 10))),
            transports);
    case null or "propagation":
        break;
    case var unknown:
        Console.Error.WriteLine($"Unknown scenario '{unknown}': use propagation (the default) or loss.");
        return 2;
}

Console.WriteLine($"{messages} updates over 100 keys, 1 publisher, {subscribers} subscribers, one update every {pace.TotalMicroseconds} µs");
Console.WriteLine();
Console.WriteLine("| transport | delivered | p50 ms | p90 ms | p99 ms | max ms | publish/s | p50 ratio | p99 ratio |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|");

Result? baseline = null;
var exitCode = 0;
foreach (var name in transports)
{
    Result result;
    try
    {
        result = await RunAsync(name, messages, subscribers, pace);
    }
    catch (Exception ex)
    {
        Console.WriteLine($"| {name} | failed: {ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")} | | | | | | | |");
        exitCode = 1;
        continue;
    }

    baseline ??= name == "inmemory" ? result : null;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {result.Delivered}/{result.Expected} | {result.P50:0.000} | {result.P90:0.000} | {result.P99:0.000} | {result.Max:0.000} | {result.PublishRate:0} | {Ratio(result.P50, baseline?.P50)} | {Ratio(result.P99, baseline?.P99)} |"));
    if (result.Delivered != result.Expected)
    {
        exitCode = 1;
    }
}

return exitCode;

static async Task<Result> RunAsync(string name, int messages, int subscriberCount, TimeSpan pace)
{
    var latencies = new List<double>[subscriberCount];
    var received = new int[subscriberCount];
    for (var i = 0; i < subscriberCount; i++)
    {
        latencies[i] = new List<double>(messages);
    }

    await using var fleet = await Fleet.StartAsync(name, new FleetOptions
    {
        Subscribers = subscriberCount,
        OnApplied = (index, message) =>
        {
            if (message.Payload is { Sequence: >= 0 } tick)
            {
                latencies[index].Add(Stopwatch.GetElapsedTime(tick.SentAt).TotalMilliseconds);
                Interlocked.Increment(ref received[index]);
            }
        },
    });

    // Warm-up (JIT, connections, Kafka's producer id, subscriptions becoming live): not measured.
    await fleet.WarmUpAsync();
    var publishSeconds = (await fleet.PublishPacedAsync(messages, 100, pace)).TotalSeconds;
    var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
    while (Enumerable.Range(0, subscriberCount).Any(i => Volatile.Read(ref received[i]) < messages) && Stopwatch.GetTimestamp() < deadline)
    {
        await Task.Delay(20);
    }

    await fleet.StopSubscriptionsAsync();
    var all = latencies.SelectMany(l => l).Order().ToArray();
    return new Result(
        all.Length,
        messages * subscriberCount,
        Percentile(all, 50),
        Percentile(all, 90),
        Percentile(all, 99),
        Percentile(all, 100),
        messages / publishSeconds);
}

static string Ratio(double value, double? baseline) =>
    baseline is > 0 ? string.Create(CultureInfo.InvariantCulture, $"{value / baseline.Value:0.0}×") : "baseline";

static double Percentile(double[] sorted, int percentile) =>
    sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];

static string? ReadOption(string[] args, string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

static int ReadInt(string[] args, string name, int fallback) =>
    int.TryParse(ReadOption(args, name), CultureInfo.InvariantCulture, out var value) ? value : fallback;

/// <summary>The cached value: a sequence number and the <see cref="Stopwatch"/> timestamp of its publish.</summary>
internal sealed record Tick(int Sequence, long SentAt);

internal sealed record Result(int Delivered, int Expected, double P50, double P90, double P99, double Max, double PublishRate);
