using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;

namespace HydrateCache.Benchmarks;

/// <summary>
/// The read path grains use: <see cref="LocalHydratedCache{T}.TryGet"/> against a bare
/// <see cref="ConcurrentDictionary{TKey,TValue}"/> lookup (the floor any in-memory cache can reach), on the concrete
/// type and through <see cref="ILocalHydratedCache{T}"/> (how grains get it from DI), without and with a TTL.
/// Targets (issue 9): a hit ≤ 1.5× the dictionary and 0 B allocated; with a TTL ≤ 2×.
/// </summary>
[MemoryDiagnoser]
public class CacheReadBenchmarks
{
    private readonly ConcurrentDictionary<string, Price> _dictionary = new(StringComparer.Ordinal);
    private LocalHydratedCache<Price> _cache = null!;
    private LocalHydratedCache<Price> _cacheWithTtl = null!;
    private ILocalHydratedCache<Price> _interface = null!;
    private ILocalHydratedCache<Price> _interfaceWithTtl = null!;
    private string[] _keys = null!;

    [Params(10_000)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _cache = new LocalHydratedCache<Price>(new LocalHydratedCacheOptions { SweepInterval = TimeSpan.Zero });
        _cacheWithTtl = new LocalHydratedCache<Price>(new LocalHydratedCacheOptions { SweepInterval = TimeSpan.Zero });
        _interface = _cache;
        _interfaceWithTtl = _cacheWithTtl;
        _keys = new string[Entries];
        var sender = Guid.NewGuid();
        var ttl = new Ttl(DateTimeOffset.UtcNow, TimeSpan.FromHours(1));
        for (var i = 0; i < Entries; i++)
        {
            var key = $"SYM{i:D6}";
            var price = new Price(key, i);
            _keys[i] = key;
            _dictionary[key] = price;
            _cache.Apply(new TypedMessage<Price>(key, MessageKind.Upsert, price, null, new HybridTimestamp(1, 0), sender, (ulong)i + 1));
            _cacheWithTtl.Apply(new TypedMessage<Price>(key, MessageKind.Upsert, price, ttl, new HybridTimestamp(1, 0), sender, (ulong)i + 1));
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cache.Dispose();
        _cacheWithTtl.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = 1024)]
    public decimal ConcurrentDictionaryHit()
    {
        decimal sum = 0;
        for (var i = 0; i < 1024; i++)
        {
            if (_dictionary.TryGetValue(_keys[i % _keys.Length], out var price))
            {
                sum += price.Value;
            }
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = 1024)]
    public decimal HydratedCacheHit() => ReadAll(_cache);

    [Benchmark(OperationsPerInvoke = 1024)]
    public decimal HydratedCacheHitWithTtl() => ReadAll(_cacheWithTtl);

    [Benchmark(OperationsPerInvoke = 1024)]
    public decimal InterfaceHit() => ReadAll(_interface);

    [Benchmark(OperationsPerInvoke = 1024)]
    public decimal InterfaceHitWithTtl() => ReadAll(_interfaceWithTtl);

    private decimal ReadAll(LocalHydratedCache<Price> cache)
    {
        decimal sum = 0;
        for (var i = 0; i < 1024; i++)
        {
            if (cache.TryGet(_keys[i % _keys.Length], out var price))
            {
                sum += price.Value;
            }
        }

        return sum;
    }

    private decimal ReadAll(ILocalHydratedCache<Price> cache)
    {
        decimal sum = 0;
        for (var i = 0; i < 1024; i++)
        {
            if (cache.TryGet(_keys[i % _keys.Length], out var price))
            {
                sum += price.Value;
            }
        }

        return sum;
    }
}

/// <summary>A typical cached value.</summary>
public sealed record Price(string Symbol, decimal Value);
