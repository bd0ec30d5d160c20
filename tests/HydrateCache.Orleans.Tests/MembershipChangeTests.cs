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
