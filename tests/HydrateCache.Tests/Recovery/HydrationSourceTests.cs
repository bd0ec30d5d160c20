using HydrateCache.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Recovery;

/// <summary>A plain .NET channel with an <see cref="IHydrationSource{T}"/>: warm start, no roll-back, reload after a loss, retries.</summary>
[TestSuite("BVT"), TestProvider("InMemory"), TestArea("Recovery")]
public class HydrationSourceTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static LocalHydratedCache<string> ColdCache() => new(new LocalHydratedCacheOptions { StartsWarm = false });

    /// <summary>Signals when a load starts reading, which is after the channel took the load's version.</summary>
    private sealed class StartSignallingSource(IHydrationSource<string> inner, TaskCompletionSource started) : IHydrationSource<string>
    {
        public IAsyncEnumerable<HydrationEntry<string>> LoadAsync(CancellationToken cancellationToken)
        {
            started.TrySetResult();
            return inner.LoadAsync(cancellationToken);
        }
    }

    [Fact]
    public async Task HydrateAsync_WithSource_LoadsOnceSubscribed_AndMarksTheCacheWarm()
    {
        await using var bus = new InMemoryTransport();
        var source = new DictionarySource<string>();
        source.Write("a", "1");
        source.Write("b", "2");
        await using var channel = new HydrateChannel<string>(bus, "c", new HydrateChannelOptions<string> { Source = source });
        using var cache = ColdCache();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);

        var hydrating = channel.HydrateAsync(cache, stop.Token);
        await cache.WhenWarmAsync(Token).WaitAsync(TimeSpan.FromSeconds(10), Token);

        Assert.Equal(2, cache.Count);
        Assert.Equal(2, channel.Statistics.Loaded);
        Assert.Equal(1, source.Loads);
        await stop.CancelAsync();
        await hydrating;
    }

    [Fact]
    public async Task HydrateAsync_WritePublishedWhileLoading_IsNotRolledBackByTheOlderSourceRow()
    {
        await using var bus = new InMemoryTransport();
        var source = new DictionarySource<string>();
        source.Write("k", "old");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.Gate = gate.Task;
        var loading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var channel = new HydrateChannel<string>(bus, "c", new HydrateChannelOptions<string> { Source = new StartSignallingSource(source, loading) });
        await using var writer = new HydrateChannel<string>(bus, "c");
        using var cache = ColdCache();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);

        var hydrating = channel.HydrateAsync(cache, stop.Token);
        await Eventually.TrueAsync(() => bus.GetSubscriberCount(channel.Topic) == 1, "subscribed");

        // "While loading": once the load has taken its version, and a millisecond later, so the write's version is newer
        // on the wall clock too (two clocks in one millisecond would tie, and the sender ids would decide).
        await loading.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
        await Task.Delay(5, Token);
        await writer.PublishAsync("k", "new", cancellationToken: Token);
        await Eventually.TrueAsync(() => cache.TryGet("k", out var value) && value == "new", "the broadcast arrived");
        gate.SetResult();
        await cache.WhenWarmAsync(Token).WaitAsync(TimeSpan.FromSeconds(10), Token);

        Assert.True(cache.TryGet("k", out var kept));
        Assert.Equal("new", kept);
        Assert.Equal(0, channel.Statistics.Loaded);
        await stop.CancelAsync();
        await hydrating;
    }

    [Fact]
    public async Task HydrateAsync_LossDetected_ReloadsFromTheSourceAfterTheMinimumInterval()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var bus = new InMemoryTransport();
        var source = new DictionarySource<string>();
        var options = new HydrateChannelOptions<string> { Source = source, TimeProvider = time };
        options.Recovery.Enabled = false;
        await using var channel = new HydrateChannel<string>(bus, "c", options);
        using var cache = ColdCache();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var hydrating = channel.HydrateAsync(cache, stop.Token);
        await cache.WhenWarmAsync(Token).WaitAsync(TimeSpan.FromSeconds(10), Token);

        source.Write("lost", "everywhere");
        channel.Apply(new TransportMessage(channel.Topic, default) { LostBefore = 4, IsLossNotice = true }, cache);
        await Task.Delay(100, Token);
        Assert.Equal(1, source.Loads);

        await Eventually.TrueAsync(
            () =>
            {
                time.Advance(TimeSpan.FromSeconds(1));
                return cache.TryGet("lost", out _);
            },
            "the loss made the channel load its source again");
        Assert.Equal(2, source.Loads);
        await stop.CancelAsync();
        await hydrating;
    }

    [Fact]
    public async Task HydrateAsync_TransportReconnected_LossDetectedAndTheSourceReloaded()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var bus = new InMemoryTransport();
        var transport = new ReconnectingTransport(bus);
        var source = new DictionarySource<string>();
        var options = new HydrateChannelOptions<string> { Source = source, TimeProvider = time };
        options.Recovery.Enabled = false;
        await using var channel = new HydrateChannel<string>(transport, "c", options);
        var reasons = new List<HydrateLossReason>();
        channel.LossDetected += (_, e) => reasons.Add(e.Reason);
        using var cache = ColdCache();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var hydrating = channel.HydrateAsync(cache, stop.Token);
        await cache.WhenWarmAsync(Token).WaitAsync(TimeSpan.FromSeconds(10), Token);

        source.Write("published", "while disconnected");
        transport.Reconnect();

        Assert.Equal([HydrateLossReason.Reconnected], reasons);
        await Eventually.TrueAsync(
            () =>
            {
                time.Advance(TimeSpan.FromSeconds(1));
                return cache.TryGet("published", out _);
            },
            "the reconnect made the channel load its source again");
        await stop.CancelAsync();
        await hydrating;
        transport.Reconnect();
        Assert.Single(reasons);
    }

    [Fact]
    public async Task HydrateAsync_SourceFails_RetriedWithBackoffAndLogged()
    {
        await using var bus = new InMemoryTransport();
        var source = new DictionarySource<string>();
        source.Write("a", "1");
        source.FailNext(2);
        var logs = new CapturingLoggerFactory();
        await using var channel = new HydrateChannel<string>(bus, "c", new HydrateChannelOptions<string> { Source = source, LoggerFactory = logs });
        using var cache = ColdCache();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);

        var hydrating = channel.HydrateAsync(cache, stop.Token);
        await cache.WhenWarmAsync(Token).WaitAsync(TimeSpan.FromSeconds(10), Token);

        Assert.Equal(2, logs.Count(HydrateEventId.SourceLoadFailed));
        Assert.Equal(1, logs.Count(HydrateEventId.SourceLoaded));
        Assert.True(cache.TryGet("a", out _));
        await stop.CancelAsync();
        await hydrating;
    }

    [Fact]
    public async Task LoadFromSourceAsync_NoSource_Throws()
    {
        await using var channel = new HydrateChannel<string>(new InMemoryTransport(), "c");
        using var cache = new LocalHydratedCache<string>();

        await Assert.ThrowsAsync<InvalidOperationException>(() => channel.LoadFromSourceAsync(cache, Token));
    }
}
