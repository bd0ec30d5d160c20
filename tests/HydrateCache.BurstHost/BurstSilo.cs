using System.Globalization;
using System.Net;
using HydrateCache.Kafka;
using HydrateCache.Nats;
using HydrateCache.Orleans.Runtime;
using HydrateCache.Orleans.Streams;
using HydrateCache.Postgres;
using HydrateCache.Redis;
using HydrateCache.Samples;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace HydrateCache.BurstHost;

/// <summary>
/// One silo process of the burst: a plain Orleans silo with one channel on the chosen transport, on the defaults (every
/// bound at its documented default). It reports its memory and counters every 200 ms, and stops when its standard input
/// closes.
/// </summary>
internal static class BurstSilo
{
    public const string Transport = "bus";
    public const string Channel = "burst";

    public static async Task<int> RunAsync(BurstArgs args)
    {
        using var sampler = new MemorySampler();
        var index = args.Int("--index", 0);
        var primary = new IPEndPoint(IPAddress.Loopback, args.Int("--primary-port", 0));
        await using var transports = TransportChoice.Create(args.Required("--transport"), args.Get("--endpoint"));
        ITransport? transport = null;

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error);
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(args.Int("--silo-port", 0), args.Int("--gateway-port", 0), primary)
            .AddHydrateCacheStreams(hydrate => hydrate
                .AddTransport(Transport, _ => transport = transports.CreateClient())
                .AddChannel<BurstValue>(Channel, Transport)
                .Configure(options => options.TopicPrefix = args.Required("--topic-prefix"))));
        using var host = builder.Build();
        await host.StartAsync();
        Console.Out.WriteLine(BurstProtocol.Ready);

        var runtime = host.Services.GetRequiredKeyedService<HydrateChannelRuntime<BurstValue>>(Channel);
        var subscriptions = host.Services.GetRequiredKeyedService<HydrateSiloSubscriptions>(Transport);
        var maxInFlight = host.Services.GetRequiredService<IOptions<HydrateCacheOptions>>().Value.MaxInFlightBytes;
        SiloReport Report()
        {
            var statistics = runtime.TypedChannel.Statistics;
            var cache = runtime.Cache!;
            var (rss, peakRss) = MemorySampler.ReadRss();
            return new SiloReport
            {
                Silo = index,
                ServerGc = MemorySampler.ServerGc,
                PeakRssBytes = peakRss,
                RssBytes = rss,
                PeakGcHeapBytes = sampler.PeakGcHeapBytes,
                GcHeapBytes = MemorySampler.GcHeapBytes,
                GcCommittedBytes = MemorySampler.GcCommittedBytes,
                Gen2Collections = GC.CollectionCount(2),
                Keys = cache.Count,
                Digest = cache.GetDigest(1)[0].ToString("x16", CultureInfo.InvariantCulture),
                Received = statistics.Received,
                Applied = statistics.Applied,
                Stale = statistics.Stale,
                TransportLoss = statistics.GetDropped(HydrateDropReason.TransportLoss),
                TransportDropped = DroppedBy(transport),
                Gaps = statistics.Gaps,
                Disconnects = runtime.Health?.DisconnectCount ?? 0,
                Recovered = statistics.Recovered,
                Unrecovered = statistics.Unrecovered,
                RetransmitRequests = statistics.RetransmitRequests,
                Repaired = statistics.Repaired,
                PeakInFlightBytes = subscriptions.PeakHeldBytes,
                MaxInFlightBytes = maxInFlight,
            };
        }

        // Report until the run closes standard input.
        using var stop = new CancellationTokenSource();
        var stdin = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync() is not null)
            {
            }

            await stop.CancelAsync();
        });
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            do
            {
                BurstProtocol.Write(BurstProtocol.Silo, Report());
            }
            while (await timer.WaitForNextTickAsync(stop.Token));
        }
        catch (OperationCanceledException)
        {
        }

        BurstProtocol.Write(BurstProtocol.Silo, Report());
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await host.StopAsync(stopping.Token);
        return 0;
    }

    private static long DroppedBy(ITransport? transport) => transport switch
    {
        RedisTransport redis => redis.DroppedCount,
        NatsTransport nats => nats.DroppedCount,
        PostgresTransport postgres => postgres.DroppedCount,
        KafkaTransport kafka => kafka.DroppedCount,
        _ => 0,
    };
}
