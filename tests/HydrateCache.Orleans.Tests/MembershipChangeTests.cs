using HydrateCache.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace HydrateCache.Orleans.Tests;

/// <summary>Changes membership, so it gets a cluster of its own.</summary>
[TestSuite("Functional"), TestProvider("None"), TestArea("Orleans")]
public class MembershipChangeTests(InMemoryClusterFixture fixture) : IClassFixture<InMemoryClusterFixture>
{
    [Fact]
    public async Task SiloAddedLater_ReceivesLaterUpdates_AndStoppedSiloDoesNotBreakOthers()
    {
        var publisher = fixture.Cluster.Client.ServiceProvider.GetRequiredService<IHydratePublisher<PriceRecord>>();
        await publisher.PublishAsync("before", new PriceRecord("before", 1m), cancellationToken: TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(() => fixture.Caches<PriceRecord>().All(c => c.Cache.TryGet("before", out _)), "initial silos hydrate");

        var joined = await fixture.Cluster.StartAdditionalSiloAsync();
        await fixture.Cluster.WaitForLivenessToStabilizeAsync();
        Assert.Equal(4, fixture.ActiveSilos.Count());

        await publisher.PublishAsync("after", new PriceRecord("after", 2m), cancellationToken: TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(() => fixture.CacheOn<PriceRecord>(joined.SiloAddress).TryGet("after", out var p) && p.Value == 2m, "the joined silo receives updates published after it joined");
        await Eventually.TrueAsync(() => fixture.Caches<PriceRecord>().All(c => c.Cache.TryGet("after", out _)), "all 4 silos hold it");

        // InProcessTestCluster.StopSiloAsync has no token overload of its own.
#pragma warning disable xUnit1051
        await fixture.Cluster.StopSiloAsync(joined);
#pragma warning restore xUnit1051
        await publisher.PublishAsync("after-stop", new PriceRecord("after-stop", 3m), cancellationToken: TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(() => fixture.Caches<PriceRecord>().All(c => c.Cache.TryGet("after-stop", out _)), "the remaining silos keep hydrating");
        Assert.Equal(3, fixture.ActiveSilos.Count());
    }
}
