using HydrateCache.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Caching;

/// <summary>Invalidated entries and <see cref="LocalHydratedCache{T}.GetOrLoadAsync"/>: one source load per key, however many readers.</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Cache")]
public sealed class InvalidationTests : IAsyncDisposable
{
    private static readonly Guid SenderA = new("00000000-0000-0000-0000-00000000000a");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    private readonly InMemoryTransport _transport = new();
    private readonly DictionarySource<string> _source = new();
    private readonly LocalHydratedCache<string> _cache;
    private readonly HydrateChannel<string> _channel;

    public InvalidationTests()
    {
        _cache = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { TimeProvider = _time, SweepInterval = TimeSpan.Zero });
        _channel = NewChannel(_cache, HydrateInvalidationMode.Never);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        _cache.Dispose();
        await _transport.DisposeAsync();
    }

    private HydrateChannel<string> NewChannel(LocalHydratedCache<string> cache, HydrateInvalidationMode mode)
    {
        var options = new HydrateChannelOptions<string> { LocalCache = cache, Source = _source, TimeProvider = _time };
        options.Invalidation.Mode = mode;
        options.Recovery.Enabled = false;
        return new HydrateChannel<string>(_transport, "invalidation", options);
    }

    private static TypedMessage<string> Upsert(string key, string value, long ms) =>
        new(key, MessageKind.Upsert, value, null, new HybridTimestamp(ms, 0), SenderA, 1);

    private static TypedMessage<string> Invalidate(string key, long ms) =>
        new(key, MessageKind.Invalidate, null, null, new HybridTimestamp(ms, 0), SenderA, 1);

    [Fact]
    public void Apply_NewerInvalidate_DropsValueAndKeepsVersion()
    {
        _cache.Apply(Upsert("k", "old", 100));
        var changes = new List<HydratedCacheChangedEventArgs<string>>();
        _cache.Changed += (_, e) => changes.Add(e);

        Assert.Equal(HydrateApplyResult.Invalidated, _cache.Apply(Invalidate("k", 200)));

        Assert.False(_cache.TryGet("k", out _));
        Assert.False(_cache.TryGetEntry("k", out _));
        Assert.True(_cache.TryGetVersion("k", out var version, out _));
        Assert.Equal(new HybridTimestamp(200, 0), version);
        Assert.Equal(0, _cache.Count);
        Assert.Equal(0, _cache.TombstoneCount);
        var change = Assert.Single(changes);
        Assert.Equal(HydrateApplyResult.Invalidated, change.Result);
        Assert.Null(change.Value);
    }

    [Fact]
    public void Apply_LateOlderUpsertAfterInvalidate_IsStale()
    {
        _cache.Apply(Invalidate("k", 200));
        Assert.Equal(HydrateApplyResult.Stale, _cache.Apply(Upsert("k", "old", 100)));
        Assert.False(_cache.TryGet("k", out _));
    }

    [Fact]
    public void Apply_NewerUpsertAfterInvalidate_Replaces()
    {
        _cache.Apply(Invalidate("k", 200));
        Assert.Equal(HydrateApplyResult.Applied, _cache.Apply(Upsert("k", "new", 300)));
        Assert.True(_cache.TryGet("k", out var value));
        Assert.Equal("new", value);
    }

    // The value of version V (loaded from the source, or copied from the publisher's cache) fills the invalidation of V.
    [Fact]
    public void Apply_UpsertOfTheInvalidatedVersion_FillsIt()
    {
        _cache.Apply(Invalidate("k", 200));
        Assert.Equal(HydrateApplyResult.Applied, _cache.Apply(Upsert("k", "v", 200)));
        Assert.True(_cache.TryGet("k", out var value));
        Assert.Equal("v", value);

        // The transport's invalidate of a version the cache holds the value of is an echo.
        Assert.Equal(HydrateApplyResult.Duplicate, _cache.Apply(Invalidate("k", 200)));
        Assert.True(_cache.TryGet("k", out _));
    }

    [Fact]
    public void Apply_OlderInvalidate_IsStale()
    {
        _cache.Apply(Upsert("k", "new", 300));
        Assert.Equal(HydrateApplyResult.Stale, _cache.Apply(Invalidate("k", 200)));
        Assert.True(_cache.TryGet("k", out _));
    }

    [Fact]
    public void Sweep_KeepsInvalidatedEntries()
    {
        var cache = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { TimeProvider = _time, SweepInterval = TimeSpan.Zero, TombstoneRetention = TimeSpan.FromSeconds(1) });
        cache.Apply(Invalidate("k", 200));
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, cache.Sweep());
        Assert.True(cache.TryGetVersion("k", out _, out _));
        Assert.Null(cache.TombstoneHorizon);
    }

    // Peer repair: a copy that has the value and one that has only its invalidation agree; a copy with the old value
    // differs and is repaired with the invalidation (GetEntries), not with a value.
    [Fact]
    public void Digest_InvalidatedEntryEqualsValueOfSameVersion_AndPagesCarryTheInvalidation()
    {
        using var publisher = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { TimeProvider = _time, SweepInterval = TimeSpan.Zero });
        using var stale = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { TimeProvider = _time, SweepInterval = TimeSpan.Zero });
        publisher.Apply(Upsert("k", "v2", 200));
        _cache.Apply(Invalidate("k", 200));
        stale.Apply(Upsert("k", "v1", 100));

        Assert.Equal(publisher.GetDigest(16), _cache.GetDigest(16));
        Assert.NotEqual(_cache.GetDigest(16), stale.GetDigest(16));

        var page = _cache.GetEntries(null, 16, null, 10);
        var entry = Assert.Single(page);
        Assert.Equal(MessageKind.Invalidate, entry.Kind);
        Assert.Equal(HydrateApplyResult.Invalidated, stale.Apply(entry));
        Assert.Equal(_cache.GetDigest(16), stale.GetDigest(16));
    }

    [Fact]
    public async Task GetOrLoadAsync_ThousandConcurrentReaders_LoadTheKeyOnce()
    {
        _source.Write("k", "v2");
        _cache.Apply(Upsert("k", "v1", 100));
        _cache.Apply(Invalidate("k", 200));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _source.KeyGate = gate.Task;

        var readers = Enumerable.Range(0, 1000)
            .Select(_ => Task.Run(() => _cache.GetOrLoadAsync("k", TestContext.Current.CancellationToken).AsTask(), TestContext.Current.CancellationToken))
            .ToArray();
        await Eventually.TrueAsync(() => _cache.LoadsInFlight == 1 && _source.KeyLoadsOf("k") == 1, "the first reader starts the load");
        await Task.Delay(50, TestContext.Current.CancellationToken);
        gate.SetResult();
        var results = await Task.WhenAll(readers);

        Assert.Equal(1, _source.KeyLoadsOf("k"));
        Assert.Equal(1, _channel.Statistics.KeyLoads);
        Assert.All(results, r => Assert.Equal("v2", r!.Value.Value));
        Assert.All(results, r => Assert.Equal(new HybridTimestamp(200, 0), r!.Value.Version));

        // Stored with the invalidation's version: later reads are hits, and the load is forgotten.
        Assert.True(_cache.TryGetEntry("k", out var entry));
        Assert.Equal(("v2", new HybridTimestamp(200, 0), SenderA), (entry.Value, entry.Version, entry.SenderId));
        Assert.Equal(0, _cache.LoadsInFlight);
        Assert.Equal("v2", (await _cache.GetOrLoadAsync("k", TestContext.Current.CancellationToken))!.Value.Value);
        Assert.Equal(1, _source.KeyLoadsOf("k"));
    }

    [Fact]
    public async Task GetOrLoadAsync_LoadFails_EveryWaiterGetsTheErrorAndItIsNotCached()
    {
        _source.Write("k", "v2");
        _cache.Apply(Invalidate("k", 200));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _source.KeyGate = gate.Task;
        _source.FailNextKeyLoads(1);

        var readers = Enumerable.Range(0, 20).Select(_ => _cache.GetOrLoadAsync("k", TestContext.Current.CancellationToken).AsTask()).ToArray();
        gate.SetResult();
        foreach (var reader in readers)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => reader);
        }

        Assert.Equal(1, _source.KeyLoadsOf("k"));
        Assert.False(_cache.TryGet("k", out _));

        // The next read loads again, and succeeds.
        Assert.Equal("v2", (await _cache.GetOrLoadAsync("k", TestContext.Current.CancellationToken))!.Value.Value);
        Assert.Equal(2, _source.KeyLoadsOf("k"));
    }

    [Fact]
    public async Task GetOrLoadAsync_OneWaiterCancels_TheSharedLoadGoesOn()
    {
        _source.Write("k", "v2");
        _cache.Apply(Invalidate("k", 200));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _source.KeyGate = gate.Task;
        using var cancel = new CancellationTokenSource();

        var cancelled = _cache.GetOrLoadAsync("k", cancel.Token).AsTask();
        var other = _cache.GetOrLoadAsync("k", TestContext.Current.CancellationToken).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.False(other.IsCompleted);

        gate.SetResult();
        Assert.Equal("v2", (await other)!.Value.Value);
        Assert.Equal(1, _source.KeyLoadsOf("k"));
        Assert.True(_cache.TryGet("k", out _));
    }

    // A newer invalidation while a load is in flight: the load's value is not stored over it (it may predate the new
    // write), and a reader that comes after it starts a load for the new version.
    [Fact]
    public async Task GetOrLoadAsync_NewerInvalidationDuringLoad_LoadDoesNotRollBackAndNextReadLoadsAgain()
    {
        _source.Write("k", "v2");
        _cache.Apply(Invalidate("k", 200));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _source.KeyGate = gate.Task;

        var first = _cache.GetOrLoadAsync("k", TestContext.Current.CancellationToken).AsTask();
        _cache.Apply(Invalidate("k", 300));
        var second = _cache.GetOrLoadAsync("k", TestContext.Current.CancellationToken).AsTask();
        Assert.Equal(2, _source.KeyLoadsOf("k"));
        _source.Write("k", "v3");
        gate.SetResult();

        Assert.Equal(new HybridTimestamp(200, 0), (await first)!.Value.Version);
        Assert.Equal(("v3", new HybridTimestamp(300, 0)), ((await second)!.Value.Value, (await second)!.Value.Version));
        Assert.True(_cache.TryGetEntry("k", out var entry));
        Assert.Equal(new HybridTimestamp(300, 0), entry.Version);
    }

    [Fact]
    public async Task GetOrLoadAsync_DeletedOrUnknownKey_IsNotLoadedUnlessInvalidateOnly()
    {
        _source.Write("gone", "x");
        _source.Write("unknown", "y");
        _cache.Apply(Upsert("gone", "x", 100));
        _cache.Apply(new TypedMessage<string>("gone", MessageKind.Delete, null, null, new HybridTimestamp(200, 0), SenderA, 2));

        Assert.Null(await _cache.GetOrLoadAsync("gone", TestContext.Current.CancellationToken));
        Assert.Null(await _cache.GetOrLoadAsync("unknown", TestContext.Current.CancellationToken));
        Assert.Equal(0, _source.KeyLoads);

        // On an invalidate-only channel a key the cache does not know may have a value the channel never broadcast.
        using var cache = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { TimeProvider = _time, SweepInterval = TimeSpan.Zero });
        await using var channel = NewChannel(cache, HydrateInvalidationMode.Always);
        var loaded = await cache.GetOrLoadAsync("unknown", TestContext.Current.CancellationToken);
        Assert.Equal("y", loaded!.Value.Value);
        Assert.Equal(channel.SenderId, loaded.Value.SenderId);
        Assert.Equal(1, _source.KeyLoadsOf("unknown"));
        Assert.Null(await cache.GetOrLoadAsync("absent", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task GetOrLoadAsync_WithoutSource_ReadsLikeTryGetEntry()
    {
        using var cache = new LocalHydratedCache<string>();
        cache.Apply(Upsert("k", "v", 100));
        cache.Apply(Invalidate("i", 100));
        Assert.Equal("v", (await cache.GetOrLoadAsync("k", TestContext.Current.CancellationToken))!.Value.Value);
        Assert.Null(await cache.GetOrLoadAsync("i", TestContext.Current.CancellationToken));
    }
}
