using HydrateCache.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Caching;

/// <summary>Buckets, digests, pages and readiness: what two copies of a cache use to compare and repair each other.</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Cache")]
public class LocalHydratedCacheSyncTests
{
    private static readonly Guid SenderA = new("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid SenderB = new("00000000-0000-0000-0000-00000000000b");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

    private LocalHydratedCache<string> NewCache(bool startsWarm = true) => new(new LocalHydratedCacheOptions
    {
        TimeProvider = _time,
        SweepInterval = TimeSpan.Zero,
        StartsWarm = startsWarm,
    });

    private static TypedMessage<string> Upsert(string key, string value, long ms, uint counter = 0, Guid? sender = null, Ttl? ttl = null) =>
        new(key, MessageKind.Upsert, value, ttl, new HybridTimestamp(ms, counter), sender ?? SenderA, 7);

    private static TypedMessage<string> Delete(string key, long ms, Guid? sender = null) =>
        new(key, MessageKind.Delete, null, null, new HybridTimestamp(ms, 0), sender ?? SenderA, 7);

    private static List<TypedMessage<string>> ReadAll(LocalHydratedCache<string> cache, int pageSize, IReadOnlySet<int>? buckets = null, int bucketCount = 1)
    {
        var all = new List<TypedMessage<string>>();
        string? after = null;
        while (true)
        {
            var page = cache.GetEntries(buckets, bucketCount, after, pageSize);
            Assert.True(page.Count <= pageSize);
            all.AddRange(page);
            if (page.Count < pageSize)
            {
                return all;
            }

            after = page[^1].Key;
        }
    }

    // ---- GetBucket ----

    // FNV-1a (64-bit) of the UTF-16 code units, modulo the bucket count. These values are part of the contract between
    // silos of different versions: if this test breaks, two copies of a cache no longer agree on buckets.
    [Theory]
    [InlineData("user:42", 1024, 450)]
    [InlineData("user:42", 7, 0)]
    [InlineData("user:42", int.MaxValue, 888_954_637)]
    [InlineData("", 1024, 805)]
    [InlineData("é€", 1024, 664)]
    [InlineData("anything", 1, 0)]
    public void GetBucket_FixedKey_HasAFixedKnownValue(string key, int bucketCount, int expected)
    {
        Assert.Equal(expected, LocalHydratedCache<string>.GetBucket(key, bucketCount));
    }

    [Fact]
    public void GetBucket_SameKey_SameBucketAcrossCallsAndValueTypes()
    {
        for (var i = 0; i < 100; i++)
        {
            var key = $"key-{i}";
            var bucket = LocalHydratedCache<string>.GetBucket(key, 64);
            Assert.Equal(bucket, LocalHydratedCache<string>.GetBucket(key, 64));
            Assert.Equal(bucket, LocalHydratedCache<int>.GetBucket(key, 64));
            Assert.InRange(bucket, 0, 63);
        }
    }

    [Fact]
    public void GetBucket_ManyKeys_UseEveryBucket()
    {
        var used = Enumerable.Range(0, 1000).Select(i => LocalHydratedCache<string>.GetBucket($"key-{i}", 16)).ToHashSet();
        Assert.Equal(16, used.Count);
    }

    [Fact]
    public void GetBucket_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => LocalHydratedCache<string>.GetBucket(null!, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => LocalHydratedCache<string>.GetBucket("k", 0));
    }

    // ---- GetDigest ----

    [Fact]
    public void GetDigest_EmptyCache_IsAllZeros()
    {
        using var cache = NewCache();
        Assert.Equal(new ulong[8], cache.GetDigest(8));
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.GetDigest(0));
    }

    [Fact]
    public void GetDigest_SameLiveVersionsAppliedInDifferentOrders_AreEqual()
    {
        var updates = new List<TypedMessage<string>>();
        for (var i = 0; i < 50; i++)
        {
            updates.Add(Upsert($"k{i}", "old", 100 + i));
            updates.Add(Upsert($"k{i}", "new", 200 + i, sender: i % 2 == 0 ? SenderA : SenderB));
        }

        updates.Add(Delete("k3", 500));
        updates.Add(Upsert("ttl", "v", 100, ttl: new Ttl(_time.GetUtcNow(), TimeSpan.FromHours(1))));
        using var forward = NewCache();
        using var backward = NewCache();
        foreach (var update in updates)
        {
            forward.Apply(update);
        }

        foreach (var update in Enumerable.Reverse(updates))
        {
            backward.Apply(update);
        }

        var digest = forward.GetDigest(16);
        Assert.Equal(digest, backward.GetDigest(16));
        Assert.Contains(digest, d => d != 0);
        Assert.Equal(forward.GetDigest(1), backward.GetDigest(1));
    }

    [Theory]
    [InlineData("version")]
    [InlineData("counter")]
    [InlineData("sender")]
    [InlineData("missing")]
    public void GetDigest_OneVersionDiffers_DiffersInThatKeysBucketOnly(string difference)
    {
        using var left = NewCache();
        using var right = NewCache();
        for (var i = 0; i < 40; i++)
        {
            left.Apply(Upsert($"k{i}", "v", 100));
            if (i != 17)
            {
                right.Apply(Upsert($"k{i}", "v", 100));
            }
        }

        switch (difference)
        {
            case "version":
                right.Apply(Upsert("k17", "v", 101));
                break;
            case "counter":
                right.Apply(Upsert("k17", "v", 100, counter: 1));
                break;
            case "sender":
                right.Apply(Upsert("k17", "v", 100, sender: SenderB));
                break;
        }

        var bucket = LocalHydratedCache<string>.GetBucket("k17", 8);
        var l = left.GetDigest(8);
        var r = right.GetDigest(8);
        for (var b = 0; b < 8; b++)
        {
            if (b == bucket)
            {
                Assert.NotEqual(l[b], r[b]);
            }
            else
            {
                Assert.Equal(l[b], r[b]);
            }
        }
    }

    [Fact]
    public void GetDigest_SameVersionDifferentValue_IsEqual_TheDigestCoversVersionsNotValues()
    {
        using var left = NewCache();
        using var right = NewCache();
        left.Apply(Upsert("k", "one", 100));
        right.Apply(Upsert("k", "two", 100));
        Assert.Equal(left.GetDigest(4), right.GetDigest(4));
    }

    [Fact]
    public void GetDigest_YoungTombstone_DiffersFromACopyThatHasNotSeenTheDelete()
    {
        // A copy that missed a delete (and may still get the older value late) must not look like one that has it.
        using var left = NewCache();
        using var right = NewCache();
        left.Apply(Upsert("a", "v", 100));
        right.Apply(Upsert("a", "v", 100));
        right.Apply(Delete("gone", 200));

        var bucket = LocalHydratedCache<string>.GetBucket("gone", 4);
        Assert.NotEqual(left.GetDigest(4)[bucket], right.GetDigest(4)[bucket]);

        left.Apply(Delete("gone", 200));
        Assert.Equal(left.GetDigest(4), right.GetDigest(4));
    }

    [Fact]
    public void GetDigest_TombstoneOlderThanHalfTheRetention_IsExcluded()
    {
        // Copies forget tombstones at different times: an old one must not make them look different.
        using var left = NewCache();
        using var right = NewCache();
        left.Apply(Upsert("a", "v", 100));
        right.Apply(Upsert("a", "v", 100));
        right.Apply(Upsert("gone", "v", 100));
        right.Apply(Delete("gone", 200));
        right.Apply(Delete("never-there", 300));
        Assert.NotEqual(left.GetDigest(4), right.GetDigest(4));

        _time.Advance(new LocalHydratedCacheOptions().TombstoneRetention / 2);

        Assert.Equal(2, right.TombstoneCount);
        Assert.Equal(left.GetDigest(4), right.GetDigest(4));
    }

    [Fact]
    public void GetDigest_ExpiredValues_AreExcludedEvenBeforeASweep()
    {
        using var left = NewCache();
        using var right = NewCache();
        left.Apply(Upsert("a", "v", 100));
        right.Apply(Upsert("a", "v", 100));
        right.Apply(Upsert("short", "v", 100, ttl: new Ttl(_time.GetUtcNow(), TimeSpan.FromMinutes(1))));
        Assert.NotEqual(left.GetDigest(4), right.GetDigest(4));

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(left.GetDigest(4), right.GetDigest(4));
    }

    // ---- GetEntries ----

    [Fact]
    public void GetEntries_PagesInOrdinalKeyOrder()
    {
        using var cache = NewCache();
        string[] keys = ["b", "B", "aa", "a", "A", "é", "Z", "a0", "_"];
        foreach (var key in keys)
        {
            cache.Apply(Upsert(key, "v", 100));
        }

        var expected = keys.Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["A", "B", "Z", "_", "a", "a0", "aa", "b", "é"], expected);
        Assert.Equal(expected, cache.GetEntries(null, 1, null, 100).Select(e => e.Key));
        Assert.Equal(expected, ReadAll(cache, 2).Select(e => e.Key));
        Assert.Equal(expected, ReadAll(cache, 3).Select(e => e.Key));
        Assert.Equal(expected, ReadAll(cache, 1).Select(e => e.Key));
    }

    [Fact]
    public void GetEntries_AfterKeyAndMaxCount_AreRespected()
    {
        using var cache = NewCache();
        foreach (var key in new[] { "k1", "k2", "k3", "k4", "k5" })
        {
            cache.Apply(Upsert(key, "v", 100));
        }

        Assert.Equal(["k1", "k2"], cache.GetEntries(null, 1, null, 2).Select(e => e.Key));
        Assert.Equal(["k3", "k4"], cache.GetEntries(null, 1, "k2", 2).Select(e => e.Key));
        Assert.Equal(["k5"], cache.GetEntries(null, 1, "k4", 2).Select(e => e.Key));
        Assert.Empty(cache.GetEntries(null, 1, "k5", 2));

        // The key after which to start need not be in the cache.
        Assert.Equal(["k3", "k4", "k5"], cache.GetEntries(null, 1, "k2x", 10).Select(e => e.Key));
        Assert.Equal(["k1"], cache.GetEntries(null, 1, string.Empty, 1).Select(e => e.Key));
    }

    [Fact]
    public void GetEntries_BucketFilter_ReturnsOnlyThoseBucketsInKeyOrder()
    {
        using var cache = NewCache();
        var keys = Enumerable.Range(0, 60).Select(i => $"key-{i}").ToArray();
        foreach (var key in keys)
        {
            cache.Apply(Upsert(key, "v", 100));
        }

        var buckets = new HashSet<int> { 1, 3 };
        var expected = keys.Where(k => buckets.Contains(LocalHydratedCache<string>.GetBucket(k, 4))).Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(expected);
        Assert.True(expected.Length < keys.Length);

        Assert.Equal(expected, cache.GetEntries(buckets, 4, null, 1000).Select(e => e.Key));
        Assert.Equal(expected, ReadAll(cache, 4, buckets, 4).Select(e => e.Key));
        Assert.Empty(cache.GetEntries(new HashSet<int>(), 4, null, 1000));
    }

    [Fact]
    public void GetEntries_LiveValues_AreUpsertsWithTheirVersionSenderAndTtl()
    {
        using var cache = NewCache();
        var ttl = new Ttl(_time.GetUtcNow(), TimeSpan.FromMinutes(5));
        cache.Apply(Upsert("k", "value", 123, counter: 4, sender: SenderB, ttl: ttl));

        var entry = Assert.Single(cache.GetEntries(null, 1, null, 10));
        Assert.Equal("k", entry.Key);
        Assert.Equal(MessageKind.Upsert, entry.Kind);
        Assert.Equal("value", entry.Payload);
        Assert.Equal(ttl, entry.Ttl);
        Assert.Equal(new HybridTimestamp(123, 4), entry.Version);
        Assert.Equal(SenderB, entry.SenderId);
        Assert.Equal(0UL, entry.Sequence);
    }

    [Fact]
    public void GetEntries_TombstonesAndExpiredValues_AreDeletesWithTheirVersions()
    {
        using var cache = NewCache();
        cache.Apply(Upsert("deleted", "v", 100));
        cache.Apply(Delete("deleted", 200, SenderB));
        cache.Apply(Upsert("expired", "v", 300, counter: 2, ttl: new Ttl(_time.GetUtcNow(), TimeSpan.FromSeconds(30))));
        cache.Apply(Upsert("swept", "v", 400, ttl: new Ttl(_time.GetUtcNow(), TimeSpan.FromSeconds(10))));
        cache.Apply(Upsert("live", "v", 500));
        _time.Advance(TimeSpan.FromSeconds(20));
        cache.Sweep(); // "swept" becomes a tombstone; "expired" is still a value that has merely expired.
        _time.Advance(TimeSpan.FromSeconds(10));

        var page = cache.GetEntries(null, 1, null, 10);
        Assert.Equal(["deleted", "expired", "live", "swept"], page.Select(e => e.Key));

        var entries = page.ToDictionary(e => e.Key);
        AssertDelete(entries["deleted"], new HybridTimestamp(200, 0), SenderB);
        AssertDelete(entries["expired"], new HybridTimestamp(300, 2), SenderA);
        AssertDelete(entries["swept"], new HybridTimestamp(400, 0), SenderA);
        Assert.Equal(MessageKind.Upsert, entries["live"].Kind);

        static void AssertDelete(TypedMessage<string> entry, HybridTimestamp version, Guid sender)
        {
            Assert.Equal(MessageKind.Delete, entry.Kind);
            Assert.Null(entry.Payload);
            Assert.Null(entry.Ttl);
            Assert.Equal(version, entry.Version);
            Assert.Equal(sender, entry.SenderId);
        }
    }

    [Fact]
    public void GetEntries_InvalidArguments_Throw()
    {
        using var cache = NewCache();
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.GetEntries(null, 0, null, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.GetEntries(null, 1, null, 0));
    }

    [Fact]
    public void GetEntries_AppliedToAnotherCopy_MakesDigestsEqualAndReplaysTheDelete()
    {
        using var source = NewCache();
        using var target = NewCache();
        for (var i = 0; i < 30; i++)
        {
            source.Apply(Upsert($"k{i}", $"v{i}", 100 + i));
            target.Apply(Upsert($"k{i}", "older", 50));
        }

        source.Apply(Delete("k5", 1000));
        target.Apply(Upsert("k29", "newer", 9000));

        foreach (var entry in ReadAll(source, 7, bucketCount: 4))
        {
            target.Apply(entry);
        }

        Assert.False(target.TryGet("k5", out _));
        Assert.True(target.TryGet("k6", out var six));
        Assert.Equal("v6", six);
        Assert.True(target.TryGet("k29", out var newer));
        Assert.Equal("newer", newer);

        // Only the key the target holds a newer version of still differs.
        var bucket = LocalHydratedCache<string>.GetBucket("k29", 4);
        var s = source.GetDigest(4);
        var t = target.GetDigest(4);
        Assert.NotEqual(s[bucket], t[bucket]);
        Assert.Equal(s.Where((_, i) => i != bucket), t.Where((_, i) => i != bucket));
    }

    // ---- IsWarm / WhenWarmAsync / MarkWarm ----

    [Fact]
    public async Task StartsWarmTrue_IsWarmAndWhenWarmCompletesAtOnce()
    {
        using var cache = NewCache(startsWarm: true);
        Assert.True(cache.IsWarm);
        Assert.True(cache.WhenWarmAsync(TestContext.Current.CancellationToken).IsCompletedSuccessfully);
        await cache.WhenWarmAsync(TestContext.Current.CancellationToken);
        cache.MarkWarm();
        Assert.True(cache.IsWarm);
    }

    [Fact]
    public void StartsWarm_DefaultsToTrue()
    {
        using var cache = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { SweepInterval = TimeSpan.Zero });
        Assert.True(cache.IsWarm);
    }

    [Fact]
    public async Task StartsWarmFalse_ColdUntilMarkWarm_ThenEveryWaiterIsReleased()
    {
        using var cache = NewCache(startsWarm: false);
        ILocalHydratedCache<string> view = cache;
        Assert.False(cache.IsWarm);
        Assert.False(view.IsWarm);

        var first = cache.WhenWarmAsync(TestContext.Current.CancellationToken);
        var second = view.WhenWarmAsync(TestContext.Current.CancellationToken);
        cache.Apply(Upsert("k", "v", 100));
        Assert.False(cache.IsWarm); // Data alone does not make a cache warm.
        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);

        cache.MarkWarm();
        await first.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await second.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(cache.IsWarm);
        Assert.True(view.IsWarm);

        cache.MarkWarm(); // Idempotent.
        Assert.True(cache.WhenWarmAsync(TestContext.Current.CancellationToken).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task StartsWarmFalse_WhenWarmCancelled_ThrowsAndCacheStaysCold()
    {
        using var cache = NewCache(startsWarm: false);
        using var cts = new CancellationTokenSource();
        var waiting = cache.WhenWarmAsync(cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.False(cache.IsWarm);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.WhenWarmAsync(new CancellationToken(canceled: true)));
    }
}
