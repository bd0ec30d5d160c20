using HydrateCache.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Caching;

[TestSuite("BVT"), TestProvider("None"), TestArea("Caching")]
public class TombstoneHorizonTests
{
    private static readonly Guid SenderA = new("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid SenderB = new("00000000-0000-0000-0000-00000000000b");
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

    private LocalHydratedCache<string> NewCache() => new(new LocalHydratedCacheOptions
    {
        TimeProvider = _time,
        SweepInterval = TimeSpan.Zero,
        TombstoneRetention = Retention,
    });

    private static TypedMessage<string> Upsert(string key, string value, long ms, Guid? sender = null, Ttl? ttl = null) =>
        new(key, MessageKind.Upsert, value, ttl, new HybridTimestamp(ms, 0), sender ?? SenderA, 1);

    private static TypedMessage<string> Delete(string key, long ms, Guid? sender = null) =>
        new(key, MessageKind.Delete, null, null, new HybridTimestamp(ms, 0), sender ?? SenderA, 1);

    /// <summary>Applies a delete and sweeps once its tombstone is past the retention.</summary>
    private void DeleteAndForget(LocalHydratedCache<string> cache, string key, long ms, Guid? sender = null)
    {
        Assert.Equal(HydrateApplyResult.Removed, cache.Apply(Delete(key, ms, sender)));
        _time.Advance(Retention);
        Assert.True(cache.Sweep() >= 1);
        Assert.False(cache.TryGetVersion(key, out _, out _));
    }

    [Fact]
    public void TombstoneHorizon_NewCache_IsNull()
    {
        using var cache = NewCache();
        Assert.Null(cache.TombstoneHorizon);
    }

    [Fact]
    public void Apply_LateOlderUpsertAfterTombstoneSwept_IsStaleAndKeyStaysAbsent()
    {
        using var cache = NewCache();
        cache.Apply(Upsert("k", "v", 100));
        DeleteAndForget(cache, "k", 300);
        Assert.Equal(0, cache.TombstoneCount);
        Assert.Equal(new HybridTimestamp(300, 0), cache.TombstoneHorizon);

        Assert.Equal(HydrateApplyResult.Stale, cache.Apply(Upsert("k", "late", 200)));
        Assert.Equal(HydrateApplyResult.Stale, cache.Apply(Upsert("k", "echo", 100)));
        Assert.False(cache.TryGet("k", out _));
        Assert.False(cache.TryGetVersion("k", out _, out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Apply_SameVersionAsForgottenDelete_IsStale()
    {
        using var cache = NewCache();
        DeleteAndForget(cache, "k", 300);
        Assert.Equal(HydrateApplyResult.Stale, cache.Apply(Delete("k", 300)));
        Assert.False(cache.TryGetVersion("k", out _, out _));
    }

    [Fact]
    public void Apply_EqualTimestampAfterHorizon_IsOrderedBySender()
    {
        using var cache = NewCache();
        DeleteAndForget(cache, "k", 300, SenderA);
        Assert.Equal(HydrateApplyResult.Applied, cache.Apply(Upsert("k", "b", 300, SenderB)));
        Assert.True(cache.TryGet("k", out var value));
        Assert.Equal("b", value);
    }

    [Fact]
    public void Apply_NewerUpsertAfterHorizon_IsApplied()
    {
        using var cache = NewCache();
        DeleteAndForget(cache, "k", 300);
        Assert.Equal(HydrateApplyResult.Applied, cache.Apply(Upsert("k", "newer", 301)));
        Assert.True(cache.TryGet("k", out var value));
        Assert.Equal("newer", value);
        Assert.Equal(HydrateApplyResult.Applied, cache.Apply(Upsert("fresh", "v", 400)));
        Assert.Equal(2, cache.Count);
    }

    // The documented trade-off: a key never seen here, written before the horizon, could be a resurrection, so it is refused.
    [Fact]
    public void Apply_NeverSeenKeyOlderThanHorizon_IsRefused()
    {
        using var cache = NewCache();
        DeleteAndForget(cache, "deleted", 300);
        Assert.Equal(HydrateApplyResult.Stale, cache.Apply(Upsert("never-seen", "old", 250)));
        Assert.Equal(HydrateApplyResult.Stale, cache.Apply(Delete("never-seen-delete", 250)));
        Assert.False(cache.TryGet("never-seen", out _));
        Assert.Equal(0, cache.TombstoneCount);
    }

    [Fact]
    public void Apply_HeldKeyOlderThanHorizon_UsesItsOwnVersion()
    {
        using var cache = NewCache();
        cache.Apply(Upsert("held", "v1", 100));
        DeleteAndForget(cache, "deleted", 300);
        Assert.Equal(HydrateApplyResult.Applied, cache.Apply(Upsert("held", "v2", 200)));
        Assert.True(cache.TryGet("held", out var value));
        Assert.Equal("v2", value);
        Assert.Equal(HydrateApplyResult.Stale, cache.Apply(Upsert("held", "v0", 50)));
        Assert.Equal(HydrateApplyResult.Removed, cache.Apply(Delete("held", 250)));
    }

    [Fact]
    public void TombstoneHorizon_SweepsOfOlderTombstones_OnlyRises()
    {
        using var cache = NewCache();
        cache.Apply(Upsert("c", "v", 100));
        cache.Apply(Delete("a", 500));
        cache.Apply(Delete("b", 300));
        _time.Advance(Retention);
        Assert.Equal(2, cache.Sweep());
        Assert.Equal(new HybridTimestamp(500, 0), cache.TombstoneHorizon);

        // A tombstone older than the horizon (a held key's delete) is forgotten later: the horizon does not fall back.
        Assert.Equal(HydrateApplyResult.Removed, cache.Apply(Delete("c", 400)));
        _time.Advance(Retention);
        Assert.Equal(1, cache.Sweep());
        Assert.Equal(new HybridTimestamp(500, 0), cache.TombstoneHorizon);

        Assert.Equal(HydrateApplyResult.Removed, cache.Apply(Delete("d", 700)));
        _time.Advance(Retention);
        Assert.Equal(1, cache.Sweep());
        Assert.Equal(new HybridTimestamp(700, 0), cache.TombstoneHorizon);
    }

    [Fact]
    public void Sweep_TombstoneWithinRetention_DoesNotMoveHorizon()
    {
        using var cache = NewCache();
        cache.Apply(Delete("k", 300));
        _time.Advance(Retention - TimeSpan.FromSeconds(1));
        Assert.Equal(0, cache.Sweep());
        Assert.Null(cache.TombstoneHorizon);
        Assert.Equal(HydrateApplyResult.Stale, cache.Apply(Upsert("k", "late", 200)));
        Assert.Equal(HydrateApplyResult.Applied, cache.Apply(Upsert("other", "old", 100)));
    }

    [Fact]
    public void Sweep_ExpiredValueForgotten_RaisesHorizon()
    {
        using var cache = NewCache();
        cache.Apply(Upsert("k", "v", 400, ttl: new Ttl(_time.GetUtcNow(), TimeSpan.FromSeconds(1))));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, cache.Sweep());       // the value expires into a tombstone
        Assert.Null(cache.TombstoneHorizon);
        _time.Advance(Retention);
        Assert.Equal(1, cache.Sweep());       // the tombstone is forgotten
        Assert.Equal(new HybridTimestamp(400, 0), cache.TombstoneHorizon);

        Assert.Equal(HydrateApplyResult.Stale, cache.Apply(Upsert("k", "late", 399)));
        Assert.False(cache.TryGet("k", out _));
        Assert.Equal(HydrateApplyResult.Applied, cache.Apply(Upsert("k", "newer", 401)));
    }

    [Fact]
    public void Clear_ResetsHorizon()
    {
        using var cache = NewCache();
        DeleteAndForget(cache, "k", 300);
        cache.Clear();
        Assert.Null(cache.TombstoneHorizon);
        Assert.Equal(HydrateApplyResult.Applied, cache.Apply(Upsert("snapshot", "v", 100)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_NonPositiveTombstoneRetention_Throws(int seconds)
    {
        var options = new LocalHydratedCacheOptions { TombstoneRetention = TimeSpan.FromSeconds(seconds), SweepInterval = TimeSpan.Zero };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new LocalHydratedCache<string>(options));
        Assert.Equal("options.TombstoneRetention", ex.ParamName);
    }
}
