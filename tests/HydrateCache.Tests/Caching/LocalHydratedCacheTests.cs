using HydrateCache.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Caching;

[TestSuite("BVT"), TestProvider("None"), TestArea("Cache")]
public class LocalHydratedCacheTests
{
    private static readonly Guid SenderA = new("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid SenderB = new("00000000-0000-0000-0000-00000000000b");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

    private LocalHydratedCache<string> NewCache(TimeSpan? tombstoneRetention = null) => new(new LocalHydratedCacheOptions
    {
        TimeProvider = _time,
        SweepInterval = TimeSpan.Zero,
        TombstoneRetention = tombstoneRetention ?? TimeSpan.FromMinutes(10),
    });

    private static TypedMessage<string> Upsert(string key, string value, long ms, uint counter = 0, Guid? sender = null, Ttl? ttl = null) =>
        new(key, MessageKind.Upsert, value, ttl, new HybridTimestamp(ms, counter), sender ?? SenderA, 1);

    private static TypedMessage<string> Delete(string key, long ms, uint counter = 0, Guid? sender = null) =>
        new(key, MessageKind.Delete, null, null, new HybridTimestamp(ms, counter), sender ?? SenderA, 1);

    [Fact]
    public void Apply_NewKey_IsVisible()
    {
        using var cache = NewCache();
        Assert.Equal(HydrateApplyResult.Applied, cache.Apply(Upsert("k", "v1", 100)));
        Assert.True(cache.TryGet("k", out var value));
        Assert.Equal("v1", value);
        Assert.Equal(1, cache.Count);
        Assert.Equal(["k"], cache.Keys);
    }

    // Last writer wins by (timestamp, counter, sender), whatever the arrival order.
    [Theory]
    [InlineData(100, 0, "a", 200, 0, "a", "second")]
    [InlineData(200, 0, "a", 100, 0, "a", "first")]
    [InlineData(100, 1, "a", 100, 2, "a", "second")]
    [InlineData(100, 2, "a", 100, 1, "a", "first")]
    [InlineData(100, 0, "a", 100, 0, "b", "second")]
    [InlineData(100, 0, "b", 100, 0, "a", "first")]
    public void Apply_TwoWrites_NewestVersionWins(long ms1, uint c1, string s1, long ms2, uint c2, string s2, string expected)
    {
        using var cache = NewCache();
        cache.Apply(Upsert("k", "first", ms1, c1, s1 == "a" ? SenderA : SenderB));
        cache.Apply(Upsert("k", "second", ms2, c2, s2 == "a" ? SenderA : SenderB));
        Assert.True(cache.TryGet("k", out var value));
        Assert.Equal(expected, value);
    }

    [Fact]
    public void Apply_OlderVersion_IsStaleAndIgnored()
    {
        using var cache = NewCache();
        cache.Apply(Upsert("k", "new", 200));
        Assert.Equal(HydrateApplyResult.Stale, cache.Apply(Upsert("k", "old", 199)));
        Assert.True(cache.TryGet("k", out var value));
        Assert.Equal("new", value);
    }

    [Fact]
    public void Apply_SameVersionTwice_IsDuplicate()
    {
        using var cache = NewCache();
        var message = Upsert("k", "v", 200);
        cache.Apply(message);
        Assert.Equal(HydrateApplyResult.Duplicate, cache.Apply(message));
    }

    [Fact]
    public void Delete_ThenLateOlderUpsert_DoesNotResurrect()
    {
        using var cache = NewCache();
        cache.Apply(Upsert("k", "v1", 100));
        Assert.Equal(HydrateApplyResult.Removed, cache.Apply(Delete("k", 300)));
        Assert.False(cache.TryGet("k", out _));
        Assert.Equal(HydrateApplyResult.Stale, cache.Apply(Upsert("k", "late", 200)));
        Assert.False(cache.TryGet("k", out _));
        Assert.Equal(0, cache.Count);
        Assert.Equal(1, cache.TombstoneCount);
    }

    [Fact]
    public void Delete_OfUnknownKey_LeavesTombstoneThatBlocksOlderUpsert()
    {
        using var cache = NewCache();
        Assert.Equal(HydrateApplyResult.Removed, cache.Apply(Delete("k", 300)));
        Assert.Equal(HydrateApplyResult.Stale, cache.Apply(Upsert("k", "late", 200)));
        Assert.Equal(HydrateApplyResult.Applied, cache.Apply(Upsert("k", "newer", 301)));
        Assert.True(cache.TryGet("k", out var value));
        Assert.Equal("newer", value);
    }

    [Fact]
    public void Sweep_AfterRetention_ForgetsTombstone()
    {
        using var cache = NewCache(TimeSpan.FromMinutes(1));
        cache.Apply(Delete("k", 300));
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, cache.Sweep());
        Assert.Equal(1, cache.TombstoneCount);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, cache.Sweep());
        Assert.Equal(0, cache.TombstoneCount);
    }

    [Fact]
    public void Ttl_ReadBeforeAndAfterExpiry_HidesExpiredValue()
    {
        using var cache = NewCache();
        var ttl = new Ttl(_time.GetUtcNow(), TimeSpan.FromSeconds(10));
        cache.Apply(Upsert("k", "v", 100, ttl: ttl));
        _time.Advance(TimeSpan.FromSeconds(9.999));
        Assert.True(cache.TryGet("k", out _));
        Assert.True(cache.TryGetEntry("k", out var entry));
        Assert.Equal(ttl, entry.Ttl);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(cache.TryGet("k", out _));
        Assert.False(cache.TryGetEntry("k", out _));
        Assert.Equal(0, cache.Count);
        Assert.Empty(cache.Keys);
    }

    // On TimeProvider.System, reads check a TTL on a coarse monotonic clock (no wall-clock read per hit): the entry may
    // disappear a few ms early, never late. Every read that started at or after the expiry must miss.
    [Fact]
    public void Ttl_SystemClock_ReadsNeverReturnAnEntryAfterItsExpiry()
    {
        using var cache = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { SweepInterval = TimeSpan.Zero });
        var ttl = new Ttl(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(300));
        Assert.Equal(HydrateApplyResult.Applied, cache.Apply(Upsert("k", "v", 100, ttl: ttl)));
        Assert.True(cache.TryGet("k", out _));
        Assert.True(cache.TryGetEntry("k", out _));

        var hits = 0;
        var lateHits = 0;
        var deadline = ttl.ExpiresAt + TimeSpan.FromMilliseconds(100);
        while (DateTimeOffset.UtcNow < deadline)
        {
            var startedAt = DateTimeOffset.UtcNow;
            if (cache.TryGet("k", out _) | cache.TryGetEntry("k", out _))
            {
                hits++;
                lateHits += startedAt >= ttl.ExpiresAt ? 1 : 0;
            }
        }

        Assert.True(hits > 0, "the entry was never visible before its expiry");
        Assert.Equal(0, lateHits);
        Assert.False(cache.TryGet("k", out _));
    }

    [Fact]
    public void Ttl_AlreadyExpiredOnArrival_IsNeverVisibleAndHidesOlderValue()
    {
        using var cache = NewCache();
        cache.Apply(Upsert("k", "old", 100));
        var expired = new Ttl(_time.GetUtcNow() - TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(10));
        Assert.Equal(HydrateApplyResult.Expired, cache.Apply(Upsert("k", "gone", 200, ttl: expired)));
        Assert.False(cache.TryGet("k", out _));
        Assert.Equal(HydrateApplyResult.Stale, cache.Apply(Upsert("k", "old", 100)));
    }

    [Fact]
    public void Sweep_ExpiredEntry_BecomesTombstoneKeepingVersion()
    {
        using var cache = NewCache();
        cache.Apply(Upsert("k", "v", 100, ttl: new Ttl(_time.GetUtcNow(), TimeSpan.FromSeconds(1))));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, cache.Sweep());
        Assert.Equal(1, cache.TombstoneCount);
        Assert.True(cache.TryGetVersion("k", out var version, out _));
        Assert.Equal(new HybridTimestamp(100, 0), version);
        Assert.Equal(HydrateApplyResult.Stale, cache.Apply(Upsert("k", "older", 99)));
    }

    [Fact]
    public void Changed_RaisedForVisibleChangesOnly()
    {
        using var cache = NewCache();
        var changes = new List<(string Key, HydrateApplyResult Result, string? Value)>();
        cache.Changed += (_, e) => changes.Add((e.Key, e.Result, e.Value));
        cache.Apply(Upsert("k", "v1", 100));
        cache.Apply(Upsert("k", "v0", 50));       // stale: no event
        cache.Apply(Upsert("k", "v1", 100));      // duplicate: no event
        cache.Apply(Delete("k", 200));
        cache.Apply(Delete("other", 200));        // nothing visible removed: no event
        Assert.Equal([("k", HydrateApplyResult.Applied, "v1"), ("k", HydrateApplyResult.Removed, null)], changes);
    }

    [Fact]
    public void Changed_HandlerThrows_ApplyStillSucceeds()
    {
        using var cache = NewCache();
        cache.Changed += (_, _) => throw new InvalidOperationException("boom");
        Assert.Equal(HydrateApplyResult.Applied, cache.Apply(Upsert("k", "v", 1)));
        Assert.True(cache.TryGet("k", out _));
    }

    [Fact]
    public async Task Apply_ConcurrentWritersOfOneKey_NewestAlwaysWins()
    {
        using var cache = NewCache();
        var messages = Enumerable.Range(1, 4000).Select(i => Upsert("k", i.ToString(System.Globalization.CultureInfo.InvariantCulture), i)).ToArray();
        Random.Shared.Shuffle(messages);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = t; i < messages.Length; i += 4)
            {
                cache.Apply(messages[i]);
            }
        })));
        Assert.True(cache.TryGet("k", out var value));
        Assert.Equal("4000", value);
    }

    [Fact]
    public void TryGet_Hit_AllocatesNothing()
    {
        using var cache = NewCache();
        cache.Apply(Upsert("k", "v", 1, ttl: new Ttl(_time.GetUtcNow(), TimeSpan.FromHours(1))));
        cache.Apply(Upsert("plain", "v", 1));
        cache.TryGet("k", out _);

        // On the system clock a TTL is checked on the coarse monotonic clock instead: allocation-free too.
        using var systemClock = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { SweepInterval = TimeSpan.Zero });
        systemClock.Apply(Upsert("k", "v", 1, ttl: Ttl.FromNow(TimeSpan.FromHours(1))));
        systemClock.TryGet("k", out _);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            cache.TryGet("k", out _);
            cache.TryGet("plain", out _);
            systemClock.TryGet("k", out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
