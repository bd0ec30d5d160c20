namespace HydrateCache;

/// <summary>Digests, pages and readiness: what a cache needs to be compared with and repaired from another copy.</summary>
public sealed partial class LocalHydratedCache<T>
{
    private readonly TaskCompletionSource _warm = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <inheritdoc />
    public bool IsWarm => _warm.Task.IsCompleted;

    /// <inheritdoc />
    public Task WhenWarmAsync(CancellationToken cancellationToken = default) => _warm.Task.WaitAsync(cancellationToken);

    /// <summary>Marks the cache warm (see <see cref="IsWarm"/>) and releases every <see cref="WhenWarmAsync"/> waiter.</summary>
    public void MarkWarm() => _warm.TrySetResult();

    /// <summary>
    /// Gets the bucket of <paramref name="key"/> among <paramref name="bucketCount"/> buckets: a hash that is the same in
    /// every process and every run (FNV-1a of the key's UTF-16 code units), so two copies of a cache can compare buckets.
    /// </summary>
    /// <param name="key">The cache key.</param>
    /// <param name="bucketCount">The number of buckets; at least 1.</param>
    /// <returns>The bucket, from 0 to <paramref name="bucketCount"/> - 1.</returns>
    public static int GetBucket(string key, int bucketCount)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketCount, 1);
        return (int)(HashKey(key) % (ulong)bucketCount);
    }

    /// <summary>
    /// Computes a compact digest of the cache: for each of <paramref name="bucketCount"/> buckets of keys, a 64-bit
    /// combination of the (key, version, sender) of every live entry and every tombstone younger than half the
    /// tombstone retention. Two copies holding the same versions have the same digest; a bucket whose digests differ
    /// holds a divergence. Young tombstones count so that a copy that has not seen a delete yet (it may still receive
    /// the older value late) differs from one that has; older ones do not, because copies forget them at different times.
    /// An invalidated entry counts like a value of the same version, so a copy that loaded it from the source, a copy
    /// that has not loaded it yet, and the publisher's copy, which has the value, all agree.
    /// </summary>
    /// <param name="bucketCount">The number of buckets; at least 1.</param>
    /// <returns>The digest, one value per bucket (0 for a bucket without live entries).</returns>
    public ulong[] GetDigest(int bucketCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketCount, 1);
        var digest = new ulong[bucketCount];
        var now = NowTicks();
        var youngSince = now - (_tombstoneRetention.Ticks / 2);
        foreach (var pair in _entries)
        {
            var entry = pair.Value;
            var tombstone = entry.IsTombstone && entry.TombstoneSinceTicks > youngSince;
            if (!tombstone && !entry.IsInvalidated && !entry.IsVisible(now))
            {
                continue;
            }

            var keyHash = HashKey(pair.Key);
            digest[keyHash % (ulong)bucketCount] ^= Mix(keyHash, entry.Version, entry.SenderId) ^ (tombstone ? TombstoneMark : 0);
        }

        return digest;
    }

    /// <summary>
    /// Gets up to <paramref name="maxCount"/> entries, live values and tombstones (as deletes), of the given buckets, in
    /// ordinal key order after <paramref name="afterKey"/>: pages of a copy to repair another one by version.
    /// </summary>
    /// <param name="buckets">The buckets to read (of <paramref name="bucketCount"/>); <see langword="null"/> for all.</param>
    /// <param name="bucketCount">The number of buckets the bucket numbers refer to.</param>
    /// <param name="afterKey">The last key of the previous page; <see langword="null"/> for the first page.</param>
    /// <param name="maxCount">The most entries to return; at least 1.</param>
    /// <returns>The entries as messages with sequence 0: upserts (with TTL) for values, invalidations for invalidated
    /// entries, deletes for tombstones and expired values.</returns>
    public IReadOnlyList<TypedMessage<T>> GetEntries(IReadOnlySet<int>? buckets, int bucketCount, string? afterKey, int maxCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        var now = NowTicks();
        var page = new List<KeyValuePair<string, Entry>>();
        foreach (var pair in _entries)
        {
            if ((afterKey is null || string.CompareOrdinal(pair.Key, afterKey) > 0)
                && (buckets is null || buckets.Contains((int)(HashKey(pair.Key) % (ulong)bucketCount))))
            {
                page.Add(pair);
            }
        }

        page.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var result = new List<TypedMessage<T>>(Math.Min(maxCount, page.Count));
        foreach (var (key, entry) in page)
        {
            if (result.Count == maxCount)
            {
                break;
            }

            result.Add(entry.IsVisible(now)
                ? new TypedMessage<T>(key, MessageKind.Upsert, entry.Value, entry.Ttl, entry.Version, entry.SenderId, 0)
                : new TypedMessage<T>(key, entry.IsInvalidated ? MessageKind.Invalidate : MessageKind.Delete, default, null, entry.Version, entry.SenderId, 0));
        }

        return result;
    }

    /// <summary>Sets a tombstone's digest contribution apart from a live value's of the same (key, version, sender).</summary>
    private const ulong TombstoneMark = 0x9E3779B97F4A7C15UL;

    private static ulong HashKey(string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>A well-spread 64-bit value for one (key, version, sender), so XOR over a bucket is a fair digest.</summary>
    private static ulong Mix(ulong keyHash, HybridTimestamp version, Guid senderId)
    {
        Span<byte> sender = stackalloc byte[16];
        senderId.TryWriteBytes(sender);
        var x = keyHash;
        x = Step(x ^ (ulong)version.PhysicalTime);
        x = Step(x ^ version.Counter);
        x = Step(x ^ BitConverter.ToUInt64(sender));
        return Step(x ^ BitConverter.ToUInt64(sender[8..]));

        // SplitMix64's finalizer.
        static ulong Step(ulong z)
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
