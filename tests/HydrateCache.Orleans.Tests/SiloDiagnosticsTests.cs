using System.Diagnostics;
using System.Diagnostics.Metrics;
using HydrateCache.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace HydrateCache.Orleans.Tests;

/// <summary>
/// Metrics and traces of a cluster whose silos share one process. Every silo (and the client) records on the meter of
/// its own <see cref="IMeterFactory"/>: the same channel name on three silos gives three separate sets of instruments,
/// each counting what its silo did. A write's publish span is linked from each silo's process span.
/// </summary>
[TestSuite("Functional"), TestProvider("InMemory"), TestArea("Orleans")]
public sealed class SiloDiagnosticsTests : IClassFixture<InMemoryClusterFixture>
{
    private readonly InMemoryClusterFixture _fixture;

    public SiloDiagnosticsTests(InMemoryClusterFixture fixture) => _fixture = fixture;

    private IMeterFactory MeterFactoryOf(SiloAddress silo) => _fixture.Cluster.GetSiloServiceProvider(silo).GetRequiredService<IMeterFactory>();

    [Fact]
    public async Task SilosInOneProcess_EachCountsOnItsOwnMeter()
    {
        var silos = _fixture.ActiveSilos.ToList();
        var clientFactory = _fixture.Cluster.Client.ServiceProvider.GetRequiredService<IMeterFactory>();
        var factories = silos.Select(MeterFactoryOf).Append(clientFactory).ToList();
        Assert.Equal(factories.Count, factories.Distinct().Count());
        using var metrics = new ChannelMetricRecorder(HydrateClusterFixture.PricesChannel, meter => factories.Contains(meter.Scope));
        var receivedBefore = silos.ToDictionary(s => s, s => _fixture.PricesStatisticOn(s, statistics => statistics.Received));
        var publisher = _fixture.Cluster.Client.ServiceProvider.GetRequiredService<IHydratePublisher<PriceRecord>>();
        var keys = Enumerable.Range(0, 5).Select(i => $"metrics-{i}-{Guid.NewGuid():N}").ToList();

        foreach (var key in keys)
        {
            await publisher.PublishAsync(key, new PriceRecord(key, 1m), cancellationToken: TestContext.Current.CancellationToken);
        }

        await Eventually.TrueAsync(() => _fixture.Caches<PriceRecord>().All(c => keys.All(k => c.Cache.TryGet(k, out _))), "every silo holds the five writes");
        await Eventually.TrueAsync(
            () => silos.All(s => metrics.SumOn(MeterFactoryOf(s), "hydratecache.updates.applied") == 5),
            "every silo's worker applied the five writes");

        Assert.Equal(5, metrics.SumOn(clientFactory, "hydratecache.messages.published"));
        foreach (var silo in silos)
        {
            var factory = MeterFactoryOf(silo);
            Assert.Equal(0, metrics.SumOn(factory, "hydratecache.messages.published"));
            Assert.Equal(5, metrics.SumOn(factory, "hydratecache.messages.received"));
            Assert.Equal(_fixture.PricesStatisticOn(silo, s => s.Received) - receivedBefore[silo], metrics.SumOn(factory, "hydratecache.messages.received"));
        }

        metrics.Observe();
        var entries = metrics.Measurements("hydratecache.cache.entries");
        foreach (var silo in silos)
        {
            var (_, value) = Assert.Single(entries, m => ReferenceEquals(m.Instrument.Meter.Scope, MeterFactoryOf(silo)));
            Assert.Equal(_fixture.CacheOn<PriceRecord>(silo).Count, value);
        }

        // The client holds no cache: no entries gauge reading of its own.
        Assert.DoesNotContain(entries, m => ReferenceEquals(m.Instrument.Meter.Scope, clientFactory));
    }

    [Fact]
    public async Task PublishFromClient_EverySilosProcessSpanIsARootLinkedToThePublishSpan()
    {
        using var spans = new SpanRecorder();
        var publisher = _fixture.Cluster.Client.ServiceProvider.GetRequiredService<IHydratePublisher<PriceRecord>>();
        var key = $"traced-{Guid.NewGuid():N}";
        var request = new Activity("request").Start();
        try
        {
            await publisher.PublishAsync(key, new PriceRecord(key, 2m), cancellationToken: TestContext.Current.CancellationToken);
        }
        finally
        {
            request.Stop();
        }

        var publish = Assert.Single(
            spans.Stopped(HydrateClusterFixture.PricesChannel + " publish", HydrateClusterFixture.PricesChannel),
            span => span.ParentSpanId == request.SpanId);
        await Eventually.TrueAsync(() => spans.LinkedTo(publish).Count == 3, "each of the three silos processed the write in a span linked to its publish");

        Assert.All(spans.LinkedTo(publish), process =>
        {
            Assert.Equal(HydrateClusterFixture.PricesChannel + " process", process.OperationName);
            Assert.Equal(ActivityKind.Consumer, process.Kind);
            Assert.Null(process.ParentId);
            Assert.Equal("applied", process.GetTagItem("hydratecache.result"));
        });
        Assert.Equal(3, spans.LinkedTo(publish).Select(p => p.TraceId).Distinct().Count());
    }
}

/// <summary>A silo that joins records how long its cache took to warm from its peers, on its own meter.</summary>
[TestSuite("Functional"), TestProvider("InMemory"), TestArea("Orleans")]
public sealed class SiloWarmStartMetricsTests : IClassFixture<InMemoryClusterFixture>
{
    private readonly InMemoryClusterFixture _fixture;

    public SiloWarmStartMetricsTests(InMemoryClusterFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task SiloJoining_RecordsItsWarmStartDurationOnItsOwnMeter()
    {
        var publisher = _fixture.Cluster.Client.ServiceProvider.GetRequiredService<IHydratePublisher<int>>();
        await publisher.PublishAsync("before", 1, cancellationToken: TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(() => _fixture.Caches<int>().All(c => c.Cache.TryGet("before", out _)), "the first silos hold the write");
        using var metrics = new ChannelMetricRecorder(HydrateClusterFixture.StockChannel, _ => true);

        var joined = await _fixture.Cluster.StartAdditionalSiloAsync();
        try
        {
            var cache = _fixture.CacheOn<int>(joined.SiloAddress);
            await cache.WhenWarmAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Assert.True(cache.TryGet("before", out _));
            await Eventually.TrueAsync(() => metrics.Measurements("hydratecache.warm_start.duration").Count > 0, "the warm start was recorded");

            var (instrument, seconds) = Assert.Single(metrics.Measurements("hydratecache.warm_start.duration"));
            Assert.Same(_fixture.Cluster.GetSiloServiceProvider(joined.SiloAddress).GetRequiredService<IMeterFactory>(), instrument.Meter.Scope);
            Assert.Equal("s", instrument.Unit);
            Assert.InRange(seconds, 0, 30);
        }
        finally
        {
            // InProcessTestCluster.StopSiloAsync has no token overload of its own.
#pragma warning disable xUnit1051
            await _fixture.Cluster.StopSiloAsync(joined);
#pragma warning restore xUnit1051
        }
    }
}
