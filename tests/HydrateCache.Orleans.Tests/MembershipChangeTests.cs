using System.Diagnostics;
using HydrateCache.Orleans.Runtime;
using HydrateCache.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace HydrateCache.Orleans.Tests;

/// <summary>Changes membership, so every transport gets a cluster of its own for it (the classes at the end of this file).</summary>
public abstract class MembershipChangeTests<TFixture> : IClassFixture<TFixture>
    where TFixture : HydrateClusterFixture
{
    private readonly TFixture _fixture;

    protected MembershipChangeTests(TFixture fixture)
    {
        // No server: skip locally, fail on CI.
        fixture.EnsureAvailable();
        _fixture = fixture;
    }

    [Fact]
    public async Task SiloAddedLater_ReceivesLaterUpdates_AndStoppedSiloDoesNotBreakOthers()
    {
        var publisher = _fixture.Cluster.Client.ServiceProvider.GetRequiredService<IHydratePublisher<PriceRecord>>();
        await publisher.PublishAsync("before", new PriceRecord("before", 1m), cancellationToken: TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(() => _fixture.Caches<PriceRecord>().All(c => c.Cache.TryGet("before", out _)), "initial silos hydrate");

        var joined = await _fixture.Cluster.StartAdditionalSiloAsync();
        await _fixture.Cluster.WaitForLivenessToStabilizeAsync();
        Assert.Equal(4, _fixture.ActiveSilos.Count());

        await publisher.PublishAsync("after", new PriceRecord("after", 2m), cancellationToken: TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(() => _fixture.CacheOn<PriceRecord>(joined.SiloAddress).TryGet("after", out var p) && p.Value == 2m, "the joined silo receives updates published after it joined");
        await Eventually.TrueAsync(() => _fixture.Caches<PriceRecord>().All(c => c.Cache.TryGet("after", out _)), "all 4 silos hold it");

        // InProcessTestCluster.StopSiloAsync has no token overload of its own.
#pragma warning disable xUnit1051
        await _fixture.Cluster.StopSiloAsync(joined);
#pragma warning restore xUnit1051
        await publisher.PublishAsync("after-stop", new PriceRecord("after-stop", 3m), cancellationToken: TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(() => _fixture.Caches<PriceRecord>().All(c => c.Cache.TryGet("after-stop", out _)), "the remaining silos keep hydrating");
        Assert.Equal(3, _fixture.ActiveSilos.Count());
    }

    [Fact]
    public async Task SiloJoiningAfterWrites_IsWarmWithEveryEarlierWrite_WithoutAnyNewWrite()
    {
        var ct = TestContext.Current.CancellationToken;
        var publisher = _fixture.Cluster.Client.ServiceProvider.GetRequiredService<IHydratePublisher<PriceRecord>>();
        var prefix = $"warm-{Guid.NewGuid():N}-";
        for (var i = 0; i < 300; i++)
        {
            await publisher.PublishAsync(prefix + i, new PriceRecord(prefix + i, i), cancellationToken: ct);
        }

        await publisher.RemoveAsync(prefix + 0, ct);
        await Eventually.TrueAsync(
            () => _fixture.Caches<PriceRecord>().All(c => c.Cache.TryGet(prefix + 299, out _) && !c.Cache.TryGet(prefix + 0, out _)),
            "the running silos hold the 300 writes");

        var started = Stopwatch.GetTimestamp();
        var joined = await _fixture.Cluster.StartAdditionalSiloAsync();
        var elapsed = Stopwatch.GetElapsedTime(started);
        try
        {
            // The silo held its Active stage until its caches were loaded from a peer: complete when it is up, before any new write.
            var cache = _fixture.CacheOn<PriceRecord>(joined.SiloAddress);
            Assert.True(cache.IsWarm);
            for (var i = 1; i < 300; i++)
            {
                Assert.True(cache.TryGet(prefix + i, out var price) && price.Value == i, $"key {i} on the joined silo");
            }

            Assert.False(cache.TryGet(prefix + 0, out _));

            // Those entries were published before the silo subscribed: only the repair from a peer can have brought them.
            // (A warm start that retried another peer counts the entries it already had as duplicates, not repairs.)
            var statistics = _fixture.Cluster.GetSiloServiceProvider(joined.SiloAddress)
                .GetRequiredKeyedService<HydrateChannelRuntime<PriceRecord>>(HydrateClusterFixture.PricesChannel).TypedChannel.Statistics;
            Assert.True(statistics.Repaired > 0, "nothing was repaired");
            Console.WriteLine($"{typeof(TFixture).Name}: joined silo warm with {statistics.Repaired} repaired entries, started in {elapsed.TotalMilliseconds:F0} ms");
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

[TestSuite("Functional"), TestProvider("None"), TestArea("Orleans")]
public sealed class InMemoryMembershipChangeTests(InMemoryClusterFixture fixture) : MembershipChangeTests<InMemoryClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("Redis"), TestArea("Orleans")]
public sealed class RedisMembershipChangeTests(RedisClusterFixture fixture) : MembershipChangeTests<RedisClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("NATS"), TestArea("Orleans")]
public sealed class NatsMembershipChangeTests(NatsClusterFixture fixture) : MembershipChangeTests<NatsClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("Postgres"), TestArea("Orleans")]
public sealed class PostgresMembershipChangeTests(PostgresClusterFixture fixture) : MembershipChangeTests<PostgresClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("Kafka"), TestArea("Orleans")]
public sealed class KafkaMembershipChangeTests(KafkaClusterFixture fixture) : MembershipChangeTests<KafkaClusterFixture>(fixture);
