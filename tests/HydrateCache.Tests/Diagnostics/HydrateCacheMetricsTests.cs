using System.Diagnostics.Metrics;
using HydrateCache.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Diagnostics;

/// <summary>The instruments of the <see cref="HydrateCacheDiagnostics.MeterName"/> meter, per channel instance and meter factory.</summary>
[TestSuite("BVT"), TestProvider("InMemory"), TestArea("Diagnostics")]
public sealed class HydrateCacheMetricsTests : IAsyncLifetime
{
    private const long NowMs = 1_700_000_000_000;
    private static readonly Guid Peer = new("00000000-0000-0000-0000-0000000000bb");

    private readonly InMemoryTransport _bus = new();
    private readonly List<ServiceProvider> _services = [];
    private readonly List<HydrateChannel<string>> _channels = [];
    private readonly List<Task> _running = [];
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>A meter factory of its own, as a host's dependency injection container provides it.</summary>
    private IMeterFactory NewMeterFactory()
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _services.Add(services);
        return services.GetRequiredService<IMeterFactory>();
    }

    private HydrateChannel<string> NewChannel(string name, Action<HydrateChannelOptions<string>> configure, ITransport? transport = null)
    {
        var options = new HydrateChannelOptions<string>();
        options.Recovery.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
        options.Recovery.NakDelay = TimeSpan.FromMilliseconds(50);
        options.Recovery.NakRetryInterval = TimeSpan.FromSeconds(1);
        configure(options);
        var channel = new HydrateChannel<string>(transport ?? _bus, name, options);
        _channels.Add(channel);
        return channel;
    }

    private async Task HydrateAsync(HydrateChannel<string> channel, LocalHydratedCache<string> cache)
    {
        var subscribed = _bus.GetSubscriberCount(channel.Topic);
        _running.Add(channel.HydrateAsync(cache, _stop.Token));
        await Eventually.TrueAsync(() => _bus.GetSubscriberCount(channel.Topic) > subscribed, "the channel subscribed");
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running);
        foreach (var channel in _channels)
        {
            await channel.DisposeAsync();
        }

        foreach (var services in _services)
        {
            await services.DisposeAsync();
        }

        await _bus.DisposeAsync();
        _stop.Dispose();
    }

    [Fact]
    public async Task TwoChannelsOfOneName_WithTheirOwnMeterFactories_DoNotShareInstruments()
    {
        var name = ChannelMetricRecorder.UniqueChannel("silo");
        var factoryA = NewMeterFactory();
        var factoryB = NewMeterFactory();
        using var metricsA = new ChannelMetricRecorder(name, factoryA);
        using var metricsB = new ChannelMetricRecorder(name, factoryB);
        using var cacheA = new LocalHydratedCache<string>();
        using var cacheB = new LocalHydratedCache<string>();
        var channelA = NewChannel(name, o => (o.MeterFactory, o.LocalCache) = (factoryA, cacheA));
        var channelB = NewChannel(name, o => (o.MeterFactory, o.LocalCache) = (factoryB, cacheB));
        await HydrateAsync(channelA, cacheA);
        await HydrateAsync(channelB, cacheB);

        for (var i = 0; i < 3; i++)
        {
            await channelA.PublishAsync($"a{i}", "v", cancellationToken: Token);
        }

        await channelB.PublishAsync("b0", "v", cancellationToken: Token);
        // The outcome is measured after the message is counted as received: wait for the measurements themselves.
        await Eventually.TrueAsync(
            () => metricsA.Sum("hydratecache.updates.applied") == 4 && metricsB.Sum("hydratecache.updates.applied") == 4,
            "both applied (or recognised) all four");

        Assert.Equal(3, metricsA.Sum("hydratecache.messages.published"));
        Assert.Equal(1, metricsB.Sum("hydratecache.messages.published"));
        Assert.Equal(4, metricsA.Sum("hydratecache.messages.received"));
        Assert.Equal(4, metricsB.Sum("hydratecache.messages.received"));

        // Each copy applied its own writes on publish: their echoes are duplicates there, and new on the other copy.
        Assert.Equal(3, metricsA.Sum("hydratecache.updates.applied", "hydratecache.result", "duplicate"));
        Assert.Equal(1, metricsA.Sum("hydratecache.updates.applied", "hydratecache.result", "applied"));
        Assert.Equal(1, metricsB.Sum("hydratecache.updates.applied", "hydratecache.result", "duplicate"));
        Assert.Equal(3, metricsB.Sum("hydratecache.updates.applied", "hydratecache.result", "applied"));
        Assert.All(metricsA.Instruments, i => Assert.Same(factoryA, i.Meter.Scope));
        Assert.All(metricsB.Instruments, i => Assert.Same(factoryB, i.Meter.Scope));

        await channelB.RemoveAsync("a0", Token);
        await Eventually.TrueAsync(() => cacheA.Count == 3, "the delete reached copy A");
        metricsA.Observe();
        metricsB.Observe();
        Assert.Equal([3], metricsA.Values("hydratecache.cache.entries"));
        Assert.Equal([3], metricsB.Values("hydratecache.cache.entries"));
    }

    [Fact]
    public async Task Channel_WithoutMeterFactory_OwnsItsMeterAndDisposesItWithTheChannel()
    {
        using var metrics = new ChannelMetricRecorder(ChannelMetricRecorder.UniqueChannel("owned"));
        var channel = new HydrateChannel<string>(_bus, metrics.Channel);
        await channel.PublishAsync("k", "v", cancellationToken: Token);
        var published = Assert.Single(metrics.Instruments);
        Assert.Equal("hydratecache.messages.published", published.Name);
        Assert.Null(published.Meter.Scope);
        Assert.False(metrics.IsCompleted(published));

        await channel.DisposeAsync();

        Assert.True(metrics.IsCompleted(published));
    }

    [Fact]
    public async Task Channel_WithMeterFactory_LeavesTheSharedMeterAliveButStopsReportingItsCache()
    {
        var factory = NewMeterFactory();
        using var metrics = new ChannelMetricRecorder(ChannelMetricRecorder.UniqueChannel("shared-meter"), factory);
        using var cache = new LocalHydratedCache<string>();
        var channel = new HydrateChannel<string>(_bus, metrics.Channel, new HydrateChannelOptions<string> { MeterFactory = factory, LocalCache = cache });
        await channel.PublishAsync("k", "v", cancellationToken: Token);
        metrics.Observe();
        Assert.Equal([1], metrics.Values("hydratecache.cache.entries"));
        var published = Assert.Single(metrics.Instruments, i => i.Name == "hydratecache.messages.published");

        await channel.DisposeAsync();
        metrics.Observe();

        Assert.False(metrics.IsCompleted(published));
        Assert.Equal([1], metrics.Values("hydratecache.cache.entries"));
    }

    [Fact]
    public void Apply_RecordsPropagationLagInSecondsAndDropsByReason()
    {
        var factory = NewMeterFactory();
        using var metrics = new ChannelMetricRecorder(ChannelMetricRecorder.UniqueChannel("lag"), factory);
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(NowMs));
        var channel = NewChannel(metrics.Channel, o => (o.MeterFactory, o.TimeProvider) = (factory, time));
        using var cache = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { TimeProvider = time, SweepInterval = TimeSpan.Zero });
        TransportMessage Frame(long ms, ulong sequence) =>
            new(channel.Topic, channel.Encode(new TypedMessage<string>($"k{sequence}", MessageKind.Upsert, "v", null, new HybridTimestamp(ms, 0), Peer, sequence)));

        channel.Apply(Frame(NowMs - 250, 1), cache);
        channel.Apply(Frame(NowMs + 1_000, 2), cache); // the sender's clock runs a second ahead (within MaxClockSkew)
        channel.Apply(new TransportMessage(channel.Topic, new byte[] { 1, 2, 3 }), cache);

        Assert.Equal([0.25, 0], metrics.Values("hydratecache.propagation.lag"));
        Assert.Equal(1, metrics.Sum("hydratecache.messages.dropped", "hydratecache.drop_reason", "NotAFrame"));
        Assert.Equal(3, metrics.Sum("hydratecache.messages.received"));
        var lag = Assert.Single(metrics.Instruments, i => i.Name == "hydratecache.propagation.lag");
        Assert.Equal("s", lag.Unit);
    }

    [Fact]
    public async Task HydrateAsyncWithSource_RecordsLoadedEntriesAndWarmStartDuration()
    {
        var factory = NewMeterFactory();
        using var metrics = new ChannelMetricRecorder(ChannelMetricRecorder.UniqueChannel("warm"), factory);
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(NowMs));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var source = new DictionarySource<string> { Gate = gate.Task };
        source.Write("k1", "v1");
        source.Write("k2", "v2");
        var channel = NewChannel(metrics.Channel, o => (o.MeterFactory, o.TimeProvider, o.Source) = (factory, time, source));
        using var cache = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { StartsWarm = false, TimeProvider = time, SweepInterval = TimeSpan.Zero });

        await HydrateAsync(channel, cache);
        time.Advance(TimeSpan.FromSeconds(1.5));
        gate.SetResult();
        await cache.WhenWarmAsync(Token).WaitAsync(TimeSpan.FromSeconds(10), Token);

        await Eventually.TrueAsync(() => metrics.Values("hydratecache.warm_start.duration").Count == 1, "the warm start was recorded");
        Assert.Equal([1.5], metrics.Values("hydratecache.warm_start.duration"));
        Assert.Equal(2, metrics.Sum("hydratecache.updates.loaded"));
        Assert.Equal(channel.Statistics.Loaded, metrics.Sum("hydratecache.updates.loaded"));
        metrics.Observe();
        Assert.Equal([2], metrics.Values("hydratecache.cache.entries"));
    }

    [Fact]
    public async Task ReceivingInstance_ColdLocalCache_RecordsWarmStartOnceWhenWarmedByOthers()
    {
        var factory = NewMeterFactory();
        using var metrics = new ChannelMetricRecorder(ChannelMetricRecorder.UniqueChannel("silo-warm"), factory);
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(NowMs));
        using var cache = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { StartsWarm = false, TimeProvider = time, SweepInterval = TimeSpan.Zero });
        var channel = NewChannel(metrics.Channel, o =>
        {
            (o.MeterFactory, o.TimeProvider, o.LocalCache) = (factory, time, cache);
            o.Recovery.Enabled = false;
        });

        await channel.StartRecoveryAsync(receiving: true, Token);
        time.Advance(TimeSpan.FromSeconds(3));
        cache.MarkWarm(); // as the Orleans integration does once peers (or the source) answered
        await Eventually.TrueAsync(() => metrics.Values("hydratecache.warm_start.duration").Count > 0, "the warm start was recorded");
        await channel.StartRecoveryAsync(receiving: true, Token);
        cache.MarkWarm();

        Assert.Equal([3.0], metrics.Values("hydratecache.warm_start.duration"));
    }

    [Fact]
    public async Task LostMessage_GapRequestRetransmissionAndRecoveryAreCountedOnTheirChannels()
    {
        var name = ChannelMetricRecorder.UniqueChannel("recovery");
        var publisherFactory = NewMeterFactory();
        var receiverFactory = NewMeterFactory();
        using var publisherMetrics = new ChannelMetricRecorder(name, publisherFactory);
        using var receiverMetrics = new ChannelMetricRecorder(name, receiverFactory);
        var publisher = NewChannel(name, o => o.MeterFactory = publisherFactory);
        var lossy = new LossyTransport(_bus, sequence => sequence == 2);
        var receiver = NewChannel(name, o => o.MeterFactory = receiverFactory, lossy);
        using var cache = new LocalHydratedCache<string>();
        await receiver.StartRecoveryAsync(receiving: true, Token);
        await HydrateAsync(receiver, cache);

        for (var i = 1; i <= 3; i++)
        {
            await publisher.PublishAsync($"k{i}", "v", cancellationToken: Token);
        }

        await Eventually.TrueAsync(() => cache.Count == 3, "the lost message was retransmitted");
        await Eventually.TrueAsync(() => publisherMetrics.Sum("hydratecache.control.heartbeats") > 0, "the publisher sent a heartbeat");

        Assert.Equal(1, lossy.Killed);
        Assert.Equal(1, receiverMetrics.Sum("hydratecache.recovery.gaps"));
        Assert.Equal(1, receiver.Statistics.Gaps);
        Assert.Equal(1, receiverMetrics.Sum("hydratecache.recovery.recovered"));
        Assert.Equal(receiver.Statistics.RetransmitRequests, receiverMetrics.Sum("hydratecache.recovery.requests"));
        Assert.InRange(receiverMetrics.Sum("hydratecache.recovery.requests"), 1, 2);
        Assert.True(receiverMetrics.Sum("hydratecache.control.bytes") > 0);
        Assert.Equal(1, publisherMetrics.Sum("hydratecache.recovery.retransmitted"));
        Assert.Equal(0, publisherMetrics.Sum("hydratecache.recovery.gaps"));
        Assert.Equal(0, receiverMetrics.Sum("hydratecache.recovery.unrecovered"));
    }

    [Fact]
    public async Task HandlerThrows_CountedAsHandlerFailure()
    {
        var factory = NewMeterFactory();
        using var metrics = new ChannelMetricRecorder(ChannelMetricRecorder.UniqueChannel("handler"), factory);
        var channel = NewChannel(metrics.Channel, o => o.MeterFactory = factory);
        var subscribed = _bus.GetSubscriberCount(channel.Topic);
        _running.Add(channel.SubscribeAsync((_, _) => throw new InvalidOperationException("handler bug (injected)"), _stop.Token));
        await Eventually.TrueAsync(() => _bus.GetSubscriberCount(channel.Topic) > subscribed, "the channel subscribed");

        await channel.PublishAsync("k", "v", cancellationToken: Token);

        await Eventually.TrueAsync(() => metrics.Sum("hydratecache.handler.failures") == 1, "the failure was counted");
        Assert.Equal(1, channel.Statistics.HandlerFailures);
    }

    [Fact]
    public void Recording_WithoutListenerOrWithOne_AllocatesNothing()
    {
        using var metrics = new HydrateCacheMetrics(NewMeterFactory(), "quiet");
        var version = new HybridTimestamp(NowMs, 0);
        void RecordAll()
        {
            metrics.OnPublished();
            metrics.OnReceived();
            metrics.OnApplied(HydrateApplyResult.Stale);
            metrics.OnDropped(HydrateDropReason.TooLarge, 1);
            metrics.OnLag(version, TimeProvider.System);
            metrics.OnGaps(2);
            metrics.OnControlSent(40);
        }

        RecordAll();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            RecordAll();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        using var listener = new MeterListener();
        long measurements = 0;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == HydrateCacheDiagnostics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref measurements));
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref measurements));
        listener.Start();
        RecordAll();
        before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            RecordAll();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(Interlocked.Read(ref measurements) >= 7 * 1_001);
    }
}
