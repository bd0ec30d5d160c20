using System.Diagnostics;
using HydrateCache.Orleans.Runtime;
using HydrateCache.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace HydrateCache.Orleans.Tests;

/// <summary>
/// Stops a silo and starts another while grains keep writing, on a cluster of its own (the churn fixtures): the
/// survivors and the new silo must converge to every key's last write. The new silo starts in the last pass of writes
/// and nothing is written after that pass.
/// </summary>
public abstract class SiloChurnTests<TFixture> : IClassFixture<TFixture>
    where TFixture : HydrateClusterFixture
{
    private readonly TFixture _fixture;

    protected SiloChurnTests(TFixture fixture)
    {
        // No server: skip locally, fail on CI.
        fixture.EnsureAvailable();
        _fixture = fixture;
    }

    [Fact]
    public async Task SiloStoppedAndAnotherStartedWhileGrainsWrite_SurvivorsAndNewSiloConverge()
    {
        // Two passes over 300 keys (the last one deletes every tenth key): a silo (not the primary) stops a quarter of the
        // way into the first, another silo starts a quarter of the way into the last. The cluster keeps three silos.
        const int Keys = 300;
        var workload = new GrainWriteWorkload(_fixture, Keys, passes: 2);
        var victim = _fixture.Cluster.Silos[^1];
        InProcessSiloHandle? joined = null;
        var started = Stopwatch.GetTimestamp();

        await workload.RunAsync(
            async pass =>
            {
                if (pass == 0)
                {
                    // InProcessTestCluster.StopSiloAsync has no token overload of its own.
#pragma warning disable xUnit1051
                    await _fixture.Cluster.StopSiloAsync(victim);
#pragma warning restore xUnit1051
                }
                else
                {
                    joined = await _fixture.Cluster.StartAdditionalSiloAsync();
                }
            },
            faultAfter: Keys / 4);

        // The fault happened: the stopped silo is gone, the new one is active.
        Assert.NotNull(joined);
        Assert.NotEqual(_fixture.Cluster.Silos[0].SiloAddress, victim.SiloAddress);
        Assert.DoesNotContain(victim.SiloAddress, _fixture.ActiveSilos);
        Assert.Contains(joined.SiloAddress, _fixture.ActiveSilos);
        Assert.Equal(3, _fixture.ActiveSilos.Count());

        var converged = await workload.WaitUntilEverySiloHoldsFinalStateAsync();

        var joinedStatistics = _fixture.Cluster.GetSiloServiceProvider(joined.SiloAddress)
            .GetRequiredKeyedService<HydrateChannelRuntime<PriceRecord>>(HydrateClusterFixture.PricesChannel).TypedChannel.Statistics;
        Console.WriteLine($"{typeof(TFixture).Name}: silo {victim.SiloAddress} stopped, {joined.SiloAddress} started, {workload.Writes} writes " +
            $"({workload.Retried} retried) done after {Stopwatch.GetElapsedTime(started, workload.FinishedAt).TotalMilliseconds:F0} ms, " +
            $"{_fixture.PricesStatistic(s => s.Repaired)} entries repaired in all ({joinedStatistics.Repaired} by the new silo), {_fixture.PricesStatistic(s => s.Retransmitted)} updates retransmitted on request, " +
            $"converged {converged.TotalMilliseconds:F0} ms after the last write");

        // The new silo started in the last pass: the first pass's writes can only have come to it from a peer.
        Assert.True(joinedStatistics.Repaired > 0, "the new silo repaired nothing");
    }
}

[TestSuite("Functional"), TestProvider("None"), TestArea("Convergence")]
public sealed class InMemorySiloChurnTests(InMemoryChurnClusterFixture fixture) : SiloChurnTests<InMemoryChurnClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("Redis"), TestArea("Convergence")]
public sealed class RedisSiloChurnTests(RedisChurnClusterFixture fixture) : SiloChurnTests<RedisChurnClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("NATS"), TestArea("Convergence")]
public sealed class NatsSiloChurnTests(NatsChurnClusterFixture fixture) : SiloChurnTests<NatsChurnClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("Postgres"), TestArea("Convergence")]
public sealed class PostgresSiloChurnTests(PostgresChurnClusterFixture fixture) : SiloChurnTests<PostgresChurnClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("Kafka"), TestArea("Convergence")]
public sealed class KafkaSiloChurnTests(KafkaChurnClusterFixture fixture) : SiloChurnTests<KafkaChurnClusterFixture>(fixture);
