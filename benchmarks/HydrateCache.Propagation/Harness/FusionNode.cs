using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Backplane.StackExchangeRedis;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;

namespace HydrateCache.Propagation.Harness;

/// <summary>
/// One node of FusionCache as its docs recommend for several nodes: L1 memory cache + L2 Redis (<c>RedisCache</c>,
/// counted by <see cref="CountingDistributedCache"/>) + the Redis backplane, System.Text.Json serializer; one
/// <see cref="ConnectionMultiplexer"/> per node, shared by its L2 and backplane. Every node of one comparison uses the
/// same cache name (the backplane channel) and L2 key prefix; entries live <see cref="Duration"/> (long: the backplane, not
/// expiry, keeps the nodes in sync), no fail-safe, no jitter.
/// </summary>
internal sealed class FusionNode : IAsyncDisposable
{
    public static readonly TimeSpan Duration = TimeSpan.FromMinutes(30);

    private readonly ConnectionMultiplexer _connection;

    private FusionNode(ConnectionMultiplexer connection, FusionCache cache, CountingDistributedCache level2)
    {
        _connection = connection;
        Cache = cache;
        Level2 = level2;
    }

    public FusionCache Cache { get; }

    public CountingDistributedCache Level2 { get; }

    public static async Task<FusionNode> CreateAsync(string endpoint, string cacheName)
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(endpoint);
        var cache = new FusionCache(new FusionCacheOptions
        {
            CacheName = cacheName,
            WaitForInitialBackplaneSubscribe = true,
            DefaultEntryOptions = new FusionCacheEntryOptions { Duration = Duration, IsFailSafeEnabled = false },
        });
        var level2 = new CountingDistributedCache(new RedisCache(Options.Create(new RedisCacheOptions
        {
            InstanceName = cacheName + ":",
            ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(connection),
        })));
        cache.SetupDistributedCache(level2, new FusionCacheSystemTextJsonSerializer());
        cache.SetupBackplane(new RedisBackplane(Options.Create(new RedisBackplaneOptions
        {
            ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(connection),
        })));
        return new FusionNode(connection, cache, level2);
    }

    public async ValueTask DisposeAsync()
    {
        Cache.Dispose();
        await _connection.DisposeAsync();
    }
}
