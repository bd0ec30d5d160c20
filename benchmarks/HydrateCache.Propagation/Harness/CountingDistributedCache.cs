using Microsoft.Extensions.Caching.Distributed;

namespace HydrateCache.Propagation.Harness;

/// <summary>
/// An <see cref="IDistributedCache"/> that counts the reads that reach the central store (every Get is one Redis
/// round trip in <c>RedisCache</c>), so the read-heavy mode can report central-store reads per second without
/// trusting the server's counters alone.
/// </summary>
internal sealed class CountingDistributedCache(IDistributedCache inner) : IDistributedCache
{
    private long _reads;

    public long Reads => Interlocked.Read(ref _reads);

    public byte[]? Get(string key)
    {
        Interlocked.Increment(ref _reads);
        return inner.Get(key);
    }

    public Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        Interlocked.Increment(ref _reads);
        return inner.GetAsync(key, token);
    }

    public void Refresh(string key) => inner.Refresh(key);

    public Task RefreshAsync(string key, CancellationToken token = default) => inner.RefreshAsync(key, token);

    public void Remove(string key) => inner.Remove(key);

    public Task RemoveAsync(string key, CancellationToken token = default) => inner.RemoveAsync(key, token);

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => inner.Set(key, value, options);

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        inner.SetAsync(key, value, options, token);
}
