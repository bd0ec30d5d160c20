using HydrateCache.Orleans.Grains;
using HydrateCache.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Streams;

namespace HydrateCache.Orleans.Tests;

/// <summary>The multi-silo behaviour, run over every transport by the derived classes at the end of this file.</summary>
public abstract class PerSiloHydrationTests<TFixture> : IClassFixture<TFixture>
    where TFixture : HydrateClusterFixture
{
    private readonly TFixture _fixture;

    protected PerSiloHydrationTests(TFixture fixture)
    {
        // No server: skip locally, fail on CI.
        fixture.EnsureAvailable();
        _fixture = fixture;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewKey() => $"SYM-{Guid.NewGuid():N}";

    private Task AllSilosAsync(Func<ILocalHydratedCache<PriceRecord>, bool> condition, string because) =>
        Eventually.TrueAsync(() => _fixture.Caches<PriceRecord>().All(c => condition(c.Cache)), because);

    [Fact]
    public async Task PublishFromGrain_EverySiloHoldsTheValue()
    {
        var key = NewKey();
        await _fixture.Cluster.Client.GetGrain<IPriceGrain>(key).SetAsync(101.5m);

        await AllSilosAsync(c => c.TryGet(key, out var p) && p.Value == 101.5m, "all 3 silos hold the update");
        Assert.Equal(3, _fixture.Caches<PriceRecord>().Count());
    }

    [Fact]
    public async Task Remove_PropagatesToEverySilo()
    {
        var key = NewKey();
        var grain = _fixture.Cluster.Client.GetGrain<IPriceGrain>(key);
        await grain.SetAsync(1m);
        await AllSilosAsync(c => c.TryGet(key, out _), "the value arrives everywhere");

        await grain.RemoveAsync();

        await AllSilosAsync(c => !c.TryGet(key, out _), "the delete reaches every silo");
    }

    [Fact]
    public async Task RemoveThroughStreamApi_PropagatesToEverySilo()
    {
        var key = NewKey();
        var grain = _fixture.Cluster.Client.GetGrain<IPriceGrain>(key);
        await grain.SetAsync(1m);
        await AllSilosAsync(c => c.TryGet(key, out _), "the value arrives everywhere");

        await grain.RemoveThroughStreamAsync();

        await AllSilosAsync(c => !c.TryGet(key, out _), "the delete sent with OnNextAsync reaches every silo");
    }

    [Fact]
    public async Task Ttl_ValueExpiresOnEverySilo()
    {
        var key = NewKey();
        await _fixture.Cluster.Client.GetGrain<IPriceGrain>(key).SetWithTtlAsync(7m, TimeSpan.FromSeconds(4));
        await AllSilosAsync(c => c.TryGet(key, out _), "the value is visible before it expires");

        await AllSilosAsync(c => !c.TryGet(key, out _), "the value disappears after its TTL");
    }

    [Fact]
    public async Task Ttl_AlreadyExpiredOnArrival_IsNeverVisible()
    {
        var key = NewKey();
        var marker = NewKey();
        var publisher = _fixture.Cluster.Client.ServiceProvider.GetRequiredService<IHydratePublisher<PriceRecord>>();
        var seen = 0;
        var handlers = _fixture.Caches<PriceRecord>().Select(c =>
        {
            EventHandler<HydratedCacheChangedEventArgs<PriceRecord>> handler = (_, e) =>
            {
                if (e.Key == key && e.Result == HydrateApplyResult.Applied)
                {
                    Interlocked.Increment(ref seen);
                }
            };
            c.Cache.Changed += handler;
            return (c.Cache, handler);
        }).ToList();

        await publisher.PublishAsync(key, new PriceRecord(key, 1m), new Ttl(DateTimeOffset.UtcNow.AddMinutes(-2), TimeSpan.FromMinutes(1)), cancellationToken: Ct);
        await publisher.PublishAsync(marker, new PriceRecord(marker, 2m), cancellationToken: Ct);
        await AllSilosAsync(c => c.TryGet(marker, out _), "the marker published after the expired value arrives");

        Assert.All(_fixture.Caches<PriceRecord>(), c => Assert.False(c.Cache.TryGet(key, out _)));
        Assert.Equal(0, seen);
        foreach (var (cache, handler) in handlers)
        {
            cache.Changed -= handler;
        }
    }

    [Fact]
    public async Task LateOlderVersion_IsIgnoredOnEverySilo()
    {
        var key = NewKey();
        await _fixture.Cluster.Client.GetGrain<IPriceGrain>(key).SetAsync(200m);
        await AllSilosAsync(c => c.TryGet(key, out var p) && p.Value == 200m, "the current value arrives");
        Assert.True(_fixture.Caches<PriceRecord>().First().Cache.TryGetEntry(key, out var current));

        // A replayed or delayed message from the past, sent straight onto the transport.
        var transport = await _fixture.ConnectAsync();
        var rogue = new HydrateChannel<PriceRecord>(transport, HydrateClusterFixture.PricesChannel, new() { TopicPrefix = _fixture.TopicPrefix });
        var old = new TypedMessage<PriceRecord>(key, MessageKind.Upsert, new PriceRecord(key, 1m), null,
            new HybridTimestamp(current.Version.PhysicalTime - 1000, 0), rogue.SenderId, 1);
        await rogue.SendAsync(old, Ct);
        var marker = NewKey();
        await rogue.PublishAsync(marker, new PriceRecord(marker, 0m), cancellationToken: Ct);
        await AllSilosAsync(c => c.TryGet(marker, out _), "messages sent after the old one have arrived");

        Assert.All(_fixture.Caches<PriceRecord>(), c =>
        {
            Assert.True(c.Cache.TryGet(key, out var price));
            Assert.Equal(200m, price.Value);
        });
    }

    [Fact]
    public async Task Publish_ReadYourWritesOnPublishingSilo()
    {
        for (var i = 0; i < 20; i++)
        {
            var value = await _fixture.Cluster.Client.GetGrain<IPriceGrain>(NewKey()).SetAndReadLocalAsync(i + 0.5m);
            Assert.Equal(i + 0.5m, value);
        }
    }

    [Fact]
    public async Task PublishFromClient_WithPublisherAndStreamApi_EverySiloHoldsBoth()
    {
        var viaPublisher = NewKey();
        var viaStream = NewKey();
        var client = _fixture.Cluster.Client;

        await client.ServiceProvider.GetRequiredService<IHydratePublisher<PriceRecord>>().PublishAsync(viaPublisher, new PriceRecord(viaPublisher, 3m), cancellationToken: Ct);
        await client.GetStreamProvider(HydrateClusterFixture.Transport)
            .GetStream<PriceRecord>(StreamId.Create(HydrateClusterFixture.PricesChannel, viaStream))
            .OnNextAsync(new PriceRecord(viaStream, 4m));

        await AllSilosAsync(c => c.TryGet(viaPublisher, out var a) && a.Value == 3m && c.TryGet(viaStream, out var b) && b.Value == 4m,
            "both client publishes reach every silo");
    }

    [Fact]
    public async Task Channels_UpdatesNeverLeakIntoAnotherChannel()
    {
        var key = NewKey();
        var client = _fixture.Cluster.Client.ServiceProvider;
        await client.GetRequiredService<IHydratePublisher<int>>().PublishAsync(key, 42, cancellationToken: Ct);
        await Eventually.TrueAsync(() => _fixture.Caches<int>().All(c => c.Cache.TryGet(key, out var v) && v == 42), "stock update arrives");

        var priceKey = NewKey();
        await client.GetRequiredService<IHydratePublisher<PriceRecord>>().PublishAsync(priceKey, new PriceRecord(priceKey, 1m), cancellationToken: Ct);
        await AllSilosAsync(c => c.TryGet(priceKey, out _), "price update arrives");

        Assert.All(_fixture.Caches<PriceRecord>(), c => Assert.False(c.Cache.TryGet(key, out _)));
        Assert.All(_fixture.Caches<int>(), c => Assert.False(c.Cache.TryGet(priceKey, out _)));
    }

    [Fact]
    public async Task Worker_ExactlyOneActivationPerSiloPerChannel()
    {
        var key = NewKey();
        var client = _fixture.Cluster.Client;
        for (var i = 0; i < 50; i++)
        {
            await client.GetGrain<IPriceGrain>($"{key}-{i % 5}").SetAsync(i);
        }

        await client.ServiceProvider.GetRequiredService<IHydratePublisher<int>>().PublishAsync(key, 1, cancellationToken: Ct);
        await Eventually.TrueAsync(() => _fixture.Caches<int>().All(c => c.Cache.TryGet(key, out _)), "stock update arrives");

        // Through the management grain: each silo runs one worker per channel (two channels), and each channel has
        // one worker per silo. With [StatelessWorker(1)] that is exactly one activation per silo and channel.
        var perSilo = await _fixture.WorkerActivationsPerSiloAsync();
        Assert.All(_fixture.ActiveSilos, silo => Assert.Equal(2, perSilo.GetValueOrDefault(silo)));
        Assert.Equal(perSilo.Count, _fixture.ActiveSilos.Count());
        Assert.Equal(3, await _fixture.WorkerActivationsAsync(HydrateClusterFixture.PricesChannel));
        Assert.Equal(3, await _fixture.WorkerActivationsAsync(HydrateClusterFixture.StockChannel));
    }

    [Fact]
    public async Task Worker_ForcedDeactivation_IsReactivatedByTheNextUpdate()
    {
        var before = NewKey();
        await _fixture.Cluster.Client.GetGrain<IPriceGrain>(before).SetAsync(1m);
        await _fixture.Cluster.Client.ServiceProvider.GetRequiredService<IHydratePublisher<int>>().PublishAsync(before, 1, cancellationToken: Ct);
        await AllSilosAsync(c => c.TryGet(before, out _), "the value arrives everywhere");
        await Eventually.TrueAsync(() => _fixture.Caches<int>().All(c => c.Cache.TryGet(before, out _)), "both channels' workers run");

        // The publishing silo reads its own write before its worker gets the echo: wait for all three workers.
        await Eventually.TrueAsync(
            () => _fixture.WorkerActivationsAsync(HydrateClusterFixture.PricesChannel).GetAwaiter().GetResult() == 3,
            "every silo runs its prices worker");

        // Called through each silo's own grain factory, the stateless worker resolves to that silo's activation.
        foreach (var silo in _fixture.ActiveSilos)
        {
            var factory = _fixture.Cluster.GetSiloServiceProvider(silo).GetRequiredService<IGrainFactory>();
            await factory.GetGrain<IHydrateWorkerGrain>(HydrateClusterFixture.PricesChannel).AsReference<IGrainManagementExtension>().DeactivateOnIdle(Ct);
        }

        // The fault happened: no worker of the channel is left anywhere.
        await Eventually.TrueAsync(
            () => _fixture.WorkerActivationsAsync(HydrateClusterFixture.PricesChannel).GetAwaiter().GetResult() == 0,
            "every silo's prices worker is deactivated");

        var after = NewKey();
        await _fixture.Cluster.Client.GetGrain<IPriceGrain>(after).SetAsync(2m);
        await AllSilosAsync(c => c.TryGet(after, out var p) && p.Value == 2m, "the next update reaches every silo");
        await Eventually.TrueAsync(
            () => _fixture.WorkerActivationsAsync(HydrateClusterFixture.PricesChannel).GetAwaiter().GetResult() == 3,
            "the next update re-activates every silo's worker");
        var perSilo = await _fixture.WorkerActivationsPerSiloAsync();
        Assert.All(_fixture.ActiveSilos, silo => Assert.Equal(2, perSilo.GetValueOrDefault(silo)));
    }

    [Fact]
    public async Task GrainStreamSubscriber_ReceivesEveryUpdateOfItsKeyOnce_InOrder()
    {
        var key = NewKey();
        var grain = _fixture.Cluster.Client.GetGrain<IPriceGrain>(key);
        for (var i = 1; i <= 5; i++)
        {
            await grain.SetAsync(i);
        }

        await grain.RemoveAsync();
        await AllSilosAsync(c => !c.TryGet(key, out _) && c is LocalHydratedCache<PriceRecord> l && l.TryGetVersion(key, out _, out _), "every silo applied all six updates");

        var watcher = _fixture.Cluster.Client.GetGrain<IPriceWatcherGrain>(key);
        await Eventually.TrueAsync(() => watcher.GetReceivedAsync().GetAwaiter().GetResult().Count >= 6, "the watcher grain receives the six updates");

        // One silo delivers to grain subscribers: a second copy would come from another silo's agent at about the same
        // time as the first. Give it that time, then check nothing arrived twice.
        await Task.Delay(500, Ct);
        var received = await watcher.GetReceivedAsync();
        Assert.Equal([1m, 2m, 3m, 4m, 5m, null], received.Select(r => r.Value));
        Assert.Equal([false, false, false, false, false, true], received.Select(r => r.IsDelete));
        Assert.Equal(6, received.Select(r => (r.VersionPhysicalTime, r.VersionCounter)).Distinct().Count());
    }

    [Fact]
    public async Task ExplicitStreamSubscription_IsRefusedAtOnce()
    {
        var stream = _fixture.Cluster.Client.GetStreamProvider(HydrateClusterFixture.Transport)
            .GetStream<HydrateUpdate<PriceRecord>>(StreamId.Create(HydrateClusterFixture.PricesChannel, NewKey()));

        // Orleans refuses it before anything is registered: HydrateCache providers are implicit-only (see README).
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => stream.SubscribeAsync((_, _) => Task.CompletedTask));
        Assert.Contains("ImplicitOnly", error.Message, StringComparison.Ordinal);
    }
}

[TestSuite("Functional"), TestProvider("None"), TestArea("Orleans")]
public sealed class InMemoryPerSiloHydrationTests(InMemoryClusterFixture fixture) : PerSiloHydrationTests<InMemoryClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("Postgres"), TestArea("Orleans")]
public sealed class PostgresPerSiloHydrationTests(PostgresClusterFixture fixture) : PerSiloHydrationTests<PostgresClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("NATS"), TestArea("Orleans")]
public sealed class NatsPerSiloHydrationTests(NatsClusterFixture fixture) : PerSiloHydrationTests<NatsClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("Kafka"), TestArea("Orleans")]
public sealed class KafkaPerSiloHydrationTests(KafkaClusterFixture fixture) : PerSiloHydrationTests<KafkaClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("Redis"), TestArea("Orleans")]
public sealed class RedisPerSiloHydrationTests(RedisClusterFixture fixture) : PerSiloHydrationTests<RedisClusterFixture>(fixture);
