using System.Diagnostics;
using HydrateCache.TestKit;

namespace HydrateCache.Orleans.Tests;

/// <summary>
/// Overflows the silos' subscription buffers (a fixture with a tiny buffer that drops the oldest message when full) with
/// bursts of writes from grains: the transport drops updates, reports the loss to the channel, and peer repair must
/// bring them back. The last burst loses updates too (counted apart), and nothing is written after it.
/// </summary>
public abstract class SubscriptionOverflowTests<TFixture> : IClassFixture<TFixture>
    where TFixture : HydrateClusterFixture
{
    private readonly TFixture _fixture;

    protected SubscriptionOverflowTests(TFixture fixture)
    {
        // No server: skip locally, fail on CI.
        fixture.EnsureAvailable();
        _fixture = fixture;
    }

    [Fact]
    public async Task SubscriptionBufferOverflowsDuringBurst_EverySiloConverges_ThroughRepair()
    {
        const int Keys = 300;
        var workload = new GrainWriteWorkload(_fixture, Keys, passes: 2, writers: 32);
        var repairedBefore = _fixture.PricesStatistic(s => s.Repaired);
        var retransmittedBefore = _fixture.PricesStatistic(s => s.Retransmitted);
        var droppedBefore = Dropped();
        var droppedBeforeLastPass = 0L;
        var started = Stopwatch.GetTimestamp();

        // Before the last burst, every silo has accounted for every earlier update (received, or dropped and counted).
        await workload.RunAsync(beforePass: async pass =>
        {
            if (pass == 1)
            {
                await EverySiloAccountedForEveryUpdateAsync();
                droppedBeforeLastPass = Dropped();
            }
        });
        var writesDone = Stopwatch.GetElapsedTime(started, workload.FinishedAt);

        var converged = await workload.WaitUntilEverySiloHoldsFinalStateAsync();

        // The fault happened and bit: full buffers dropped updates (the silos counted the reported loss), in the last burst too.
        await EverySiloAccountedForEveryUpdateAsync();
        var dropped = Dropped() - droppedBefore;
        var droppedInLastPass = Dropped() - droppedBeforeLastPass;
        var repaired = _fixture.PricesStatistic(s => s.Repaired) - repairedBefore;
        Console.WriteLine($"{typeof(TFixture).Name}: {workload.Writes} writes ({workload.Retried} retried) done after {writesDone.TotalMilliseconds:F0} ms, " +
            $"{dropped} updates dropped by full subscription buffers ({droppedInLastPass} in the last burst), {repaired} entries repaired, {_fixture.PricesStatistic(s => s.Retransmitted) - retransmittedBefore} updates retransmitted on request, " +
            $"converged {converged.TotalMilliseconds:F0} ms after the last write");
        Assert.True(droppedInLastPass > 0, $"the last burst overflowed no subscription buffer ({dropped} dropped in all)");
        Assert.True(repaired > 0, "nothing was repaired");
    }

    private long Dropped() => _fixture.PricesStatistic(s => s.GetDropped(HydrateDropReason.TransportLoss));

    /// <summary>Every silo gets every update published on the channel: each is received, or dropped and reported (once the next one arrives).</summary>
    private Task EverySiloAccountedForEveryUpdateAsync()
    {
        var published = _fixture.PricesStatistic(s => s.Published);
        long Accounted(SiloAddress silo) => _fixture.PricesStatisticOn(silo, s => s.Received + s.GetDropped(HydrateDropReason.TransportLoss));
        return Eventually.TrueAsync(
            () => _fixture.ActiveSilos.All(silo => Accounted(silo) >= published),
            () => $"every silo received or counted as lost all {published} updates: " + string.Join(", ", _fixture.ActiveSilos.Select(silo => $"{silo} {Accounted(silo)}")),
            TimeSpan.FromSeconds(60));
    }
}

[TestSuite("Functional"), TestProvider("None"), TestArea("Convergence")]
public sealed class InMemorySubscriptionOverflowTests(InMemoryOverflowClusterFixture fixture) : SubscriptionOverflowTests<InMemoryOverflowClusterFixture>(fixture);
