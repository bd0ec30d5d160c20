using System.Diagnostics;
using System.Globalization;
using HydrateCache.Samples;

namespace HydrateCache.BurstHost;

/// <summary>
/// The publisher process of the burst: a plain .NET service (no Orleans) that publishes <c>--updates</c> values of
/// <c>--value-bytes</c> bytes over <c>--keys</c> keys, in passes over the key space, as fast as the transport accepts
/// them (up to 1,024 publishes in flight). It keeps its own copy of what it published (read-your-writes) for the digest
/// every silo must reach, and stays up afterwards, answering retransmission requests from its window, until its
/// standard input closes.
/// </summary>
internal static class BurstPublisher
{
    private const int InFlight = 1024;
    private const int MaxAttempts = 10;

    public static async Task<int> RunAsync(BurstArgs args)
    {
        using var sampler = new MemorySampler();
        var updates = args.Long("--updates", 1_000_000);
        var keys = args.Int("--keys", 10_000);
        var valueBytes = args.Int("--value-bytes", 1024);
        var transportName = args.Required("--transport");
        var endpoint = args.Get("--endpoint");

        // With 1,024 publishes in flight on a loaded machine, StackExchange.Redis' 5 s default times out needlessly.
        endpoint = transportName == "redis" && !string.IsNullOrEmpty(endpoint) ? endpoint + ",asyncTimeout=30000" : endpoint;
        await using var transports = TransportChoice.Create(transportName, endpoint);
        await using var transport = transports.CreateClient();
        using var cache = new LocalHydratedCache<BurstValue>();
        await using var channel = new HydrateChannel<BurstValue>(transport, BurstSilo.Channel, new HydrateChannelOptions<BurstValue>
        {
            TopicPrefix = args.Required("--topic-prefix"),
            LocalCache = cache,
        });

        var data = new byte[valueBytes];
        new Random(42).NextBytes(data);
        var names = Enumerable.Range(0, keys).Select(k => "key-" + k.ToString("D6", CultureInfo.InvariantCulture)).ToArray();
        var pending = new Queue<(Task Publish, long Update)>(InFlight);
        var failed = 0L;
        async Task CompleteAsync((Task Publish, long Update) publish)
        {
            var attempt = publish.Publish;
            for (var attempts = 1; ; attempts++)
            {
                try
                {
                    await attempt;
                    return;
                }
                catch (HydrateCacheException ex) when (attempts < MaxAttempts)
                {
                    // A publish that timed out (an overloaded machine) may or may not have reached the server: write the
                    // key again (a newer version), so the final state is known. Counted and reported.
                    failed++;
                    Console.Error.WriteLine($"publish of update {publish.Update} failed ({ex.Message}); writing it again");
                    attempt = channel.PublishAsync(names[publish.Update % keys], new BurstValue(publish.Update / keys, data)).AsTask();
                }
            }
        }

        var started = Stopwatch.GetTimestamp();
        for (long n = 0; n < updates; n++)
        {
            pending.Enqueue((channel.PublishAsync(names[n % keys], new BurstValue(n / keys, data)).AsTask(), n));
            if (pending.Count == InFlight)
            {
                await CompleteAsync(pending.Dequeue());
            }
        }

        while (pending.Count > 0)
        {
            await CompleteAsync(pending.Dequeue());
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        PublisherReport Report() => new()
        {
            Updates = updates,
            Keys = cache.Count,
            ValueBytes = valueBytes,
            PublishSeconds = elapsed.TotalSeconds,
            Digest = cache.GetDigest(1)[0].ToString("x16", CultureInfo.InvariantCulture),
            Retransmitted = channel.Statistics.Retransmitted,
            FailedPublishes = failed,
            PeakRssBytes = MemorySampler.ReadRss().PeakRss,
            PeakGcHeapBytes = sampler.PeakGcHeapBytes,
        };

        BurstProtocol.Write(BurstProtocol.Published, Report());
        while (await Console.In.ReadLineAsync() is not null)
        {
        }

        BurstProtocol.Write(BurstProtocol.Publisher, Report());
        return 0;
    }
}
