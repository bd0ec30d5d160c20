using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ClusterHydration;
using HydrateCache;
using HydrateCache.Samples;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Three silos in one process share one in-memory bus; a grain publishes price updates, every silo hydrates its own
// cache, and we report what each silo holds, how fast updates arrived, and whether all silos converged.
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine($"""
        Usage: dotnet run --project samples/ClusterHydration -- [options]

          --transport <name>   {string.Join(" | ", TransportChoice.Names)} (default inmemory: no server needed)
          --endpoint <value>   server of that transport (default: HYDRATECACHE_<TRANSPORT>, eng/services.sh, or localhost)
          --silos <n>          silos in this process (default 3)
          --updates <n>        price updates the writer grain publishes (default 300)
          --pace-ms <n>        milliseconds between updates (default 2)
          --verbose            also show Orleans' and Microsoft's logs at Information, for debugging

        Log levels come from appsettings.json next to the executable; override one through the environment,
        e.g. Logging__LogLevel__Orleans=Debug. Exit code 0 when every silo converged, else 1.
        """);
    return 0;
}

var updates = ReadOption(args, "--updates", 300);
var siloCount = ReadOption(args, "--silos", 3);
var pace = TimeSpan.FromMilliseconds(ReadOption(args, "--pace-ms", 2));
var ttl = TimeSpan.FromSeconds(2);
var verbose = args.Contains("--verbose");

// A topic prefix per run, so two runs against one broker never mix.
var topicPrefix = $"sample-{Guid.NewGuid():N}.";
const string Transport = "bus";
const string Channel = "prices";

await using var transports = TransportChoice.FromArgs(args);
var latencies = new ConcurrentDictionary<int, ConcurrentBag<double>>();
var ports = Enumerable.Range(0, siloCount).Select(_ => (Silo: FreePort(), Gateway: FreePort())).ToArray();
var primary = new IPEndPoint(IPAddress.Loopback, ports[0].Silo);

var silos = new List<IHost>();
for (var i = 0; i < siloCount; i++)
{
    var index = i;
    // Log levels and the console format come from appsettings.json (copied next to the executable, so the sample finds
    // it from any working directory) and the environment, as in a real silo host.
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
    if (verbose)
    {
        // --verbose lays the runtime's own start-up and health logs over appsettings.json, for debugging.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft"] = "Information",
            ["Logging:LogLevel:Orleans"] = "Information",
            ["Logging:LogLevel:Orleans.Runtime.Watchdog"] = "Information",
        });
    }

    builder.UseOrleans(silo => silo
        .UseLocalhostClustering(ports[index].Silo, ports[index].Gateway, primary)
        .AddHydrateCacheStreams(hydrate =>
        {
            // In memory, the silos share one bus; with a broker, each silo owns its own client, like separate processes.
            _ = transports.IsShared
                ? hydrate.AddTransport(Transport, transports.CreateClient())
                : hydrate.AddTransport(Transport, _ => transports.CreateClient());
            hydrate
                .AddChannel<PriceTick>(Channel, Transport)
                .Configure(options => options.TopicPrefix = topicPrefix);
        }));
    var host = builder.Build();
    await host.StartAsync();
    silos.Add(host);

    // Measure propagation: time from publish to the moment this silo's cache shows the update.
    var samples = latencies.GetOrAdd(index, _ => []);
    host.Services.GetRequiredService<ILocalHydratedCache<PriceTick>>().Changed += (_, change) =>
    {
        if (change.Result == HydrateApplyResult.Applied && change.Value is { } tick)
        {
            samples.Add(Stopwatch.GetElapsedTime(tick.PublishedAt).TotalMilliseconds);
        }
    };
}

Console.WriteLine($"Started {siloCount} silos on the {transports.Name} transport{(transports.Endpoint is null ? string.Empty : $" ({transports.Endpoint})")}; publishing {updates} updates from a grain, one every {pace.TotalMilliseconds} ms...");
var grains = silos[0].Services.GetRequiredService<IGrainFactory>();
var caches = silos.Select(s => s.Services.GetRequiredService<ILocalHydratedCache<PriceTick>>()).ToArray();

// Warm up (JIT, grain activations), wait until every silo has seen it, then measure from a clean slate.
await grains.GetGrain<IPriceWriterGrain>("writer").WarmUpAsync(200);
await WaitAsync(() => caches.All(c => c.Count == 0 && c is LocalHydratedCache<PriceTick> { TombstoneCount: 10 }), TimeSpan.FromSeconds(10));
foreach (var samples in latencies.Values)
{
    samples.Clear();
}

var summary = await grains.GetGrain<IPriceWriterGrain>("writer").WriteAsync(updates, ttl, pace);
Console.WriteLine($"Writer grain on {summary.Silo} published {summary.Updates} messages ({summary.ExpectedFinal.Count} live symbols, 1 delete, 1 TTL of {ttl.TotalSeconds:0} s, 1 already expired).");

var converged = await WaitAsync(() => caches.All(c => Matches(c, summary)), TimeSpan.FromSeconds(10));
var ttlSeen = caches.All(c => c.TryGet(summary.TtlKey, out _));

Console.WriteLine();
Console.WriteLine("Propagation latency: publish -> visible in that silo's ILocalHydratedCache (the writer's silo reads its own writes at once).");
Console.WriteLine("silo  entries  p50 ms  p90 ms  p99 ms  max ms");
for (var i = 0; i < siloCount; i++)
{
    var sorted = latencies[i].Order().ToArray();
    var role = silos[i].Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString() == summary.Silo ? "  (writer)" : string.Empty;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{i,4}  {caches[i].Count,7}  {Percentile(sorted, 50),6:0.000}  {Percentile(sorted, 90),6:0.000}  {Percentile(sorted, 99),6:0.000}  {Percentile(sorted, 100),6:0.000}{role}"));
}

var ttlExpired = await WaitAsync(() => caches.All(c => !c.TryGet(summary.TtlKey, out _)), ttl + TimeSpan.FromSeconds(5));
Console.WriteLine();
Console.WriteLine($"Delete of {summary.DeletedKey} visible on no silo: {caches.All(c => !c.TryGet(summary.DeletedKey, out _))}");
Console.WriteLine($"TTL key {summary.TtlKey} was visible on every silo before expiry: {ttlSeen}; expired on every silo: {ttlExpired}");
Console.WriteLine($"Already-expired {summary.ExpiredOnArrivalKey} visible on no silo: {caches.All(c => !c.TryGet(summary.ExpiredOnArrivalKey, out _))}");
Console.WriteLine(converged
    ? $"CONVERGED: all {siloCount} silos hold the same {summary.ExpectedFinal.Count} symbols at their latest prices."
    : $"NOT CONVERGED: the silos did not reach the writer's final state within 10 s.");

foreach (var silo in Enumerable.Reverse(silos))
{
    await silo.StopAsync();
    silo.Dispose();
}

return converged && ttlExpired ? 0 : 1;

static bool Matches(ILocalHydratedCache<PriceTick> cache, WriteSummary summary) =>
    summary.ExpectedFinal.All(e => cache.TryGet(e.Key, out var tick) && tick.Price == e.Value)
    && !cache.TryGet(summary.DeletedKey, out _)
    && !cache.TryGet(summary.ExpiredOnArrivalKey, out _);

static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout)
{
    var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
    while (!condition())
    {
        if (Stopwatch.GetTimestamp() > deadline)
        {
            return false;
        }

        await Task.Delay(10);
    }

    return true;
}

static double Percentile(double[] sorted, int percentile) =>
    sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static int ReadOption(string[] args, string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
}
