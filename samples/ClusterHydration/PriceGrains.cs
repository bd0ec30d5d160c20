using System.Diagnostics;
using HydrateCache;
using HydrateCache.Orleans;

namespace ClusterHydration;

/// <summary>The cached value. <see cref="PublishedAt"/> is a <see cref="Stopwatch"/> timestamp, comparable within this process.</summary>
public sealed record PriceTick(string Symbol, decimal Price, long PublishedAt);

/// <summary>What the writer published, so the sample can check every silo against it.</summary>
[GenerateSerializer, Immutable]
public sealed record WriteSummary(
    [property: Id(0)] int Updates,
    [property: Id(1)] Dictionary<string, decimal> ExpectedFinal,
    [property: Id(2)] string DeletedKey,
    [property: Id(3)] string TtlKey,
    [property: Id(4)] string ExpiredOnArrivalKey,
    [property: Id(5)] string Silo);

public interface IPriceWriterGrain : IGrainWithStringKey
{
    /// <summary>Publishes <paramref name="updates"/> price updates over 50 symbols, one per <paramref name="pace"/>, with a delete and TTLs among them.</summary>
    Task<WriteSummary> WriteAsync(int updates, TimeSpan ttl, TimeSpan pace);

    /// <summary>Publishes and deletes a few throw-away keys, so JIT and activation costs are not measured.</summary>
    Task WarmUpAsync(int updates);
}

/// <summary>A grain that owns writes: it publishes from its write path, exactly as a real grain would.</summary>
public sealed class PriceWriterGrain(IHydratePublisher<PriceTick> publisher, ILocalSiloDetails silo) : Grain, IPriceWriterGrain
{
    public async Task WarmUpAsync(int updates)
    {
        for (var i = 0; i < updates; i++)
        {
            var key = $"WARMUP{i % 10}";
            await publisher.PublishAsync(key, new PriceTick(key, i, Stopwatch.GetTimestamp()), i % 3 == 0 ? Ttl.FromNow(TimeSpan.FromMinutes(1)) : null);
        }

        for (var i = 0; i < 10; i++)
        {
            await publisher.RemoveAsync($"WARMUP{i}");
        }
    }

    public async Task<WriteSummary> WriteAsync(int updates, TimeSpan ttl, TimeSpan pace)
    {
        var expected = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var random = new Random(42);
        for (var i = 0; i < updates; i++)
        {
            var symbol = $"SYM{i % 50:D2}";
            var price = Math.Round((decimal)(random.NextDouble() * 1000), 2);
            await publisher.PublishAsync(symbol, new PriceTick(symbol, price, Stopwatch.GetTimestamp()));
            expected[symbol] = price;

            // A steady stream rather than one burst: the latency measured is propagation, not queueing behind a burst.
            if (pace > TimeSpan.Zero)
            {
                await Task.Delay(pace);
            }
        }

        // A delete: the key must disappear from every silo.
        const string deleted = "SYM00";
        await publisher.RemoveAsync(deleted);
        expected.Remove(deleted);

        // A value with a short TTL: visible now, gone everywhere once it expires.
        const string withTtl = "FLASH-SALE";
        await publisher.PublishAsync(withTtl, new PriceTick(withTtl, 9.99m, Stopwatch.GetTimestamp()), new Ttl(DateTimeOffset.UtcNow, ttl));

        // A value whose TTL already ran out at the source: no silo may ever show it.
        const string stale = "STALE-QUOTE";
        await publisher.PublishAsync(stale, new PriceTick(stale, 1m, Stopwatch.GetTimestamp()), new Ttl(DateTimeOffset.UtcNow.AddMinutes(-5), TimeSpan.FromMinutes(1)));

        return new WriteSummary(updates + 3, expected, deleted, withTtl, stale, silo.SiloAddress.ToString());
    }
}
