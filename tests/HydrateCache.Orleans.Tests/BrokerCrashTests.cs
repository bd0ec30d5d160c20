using System.Diagnostics;
using HydrateCache.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace HydrateCache.Orleans.Tests;

/// <summary>
/// Crashes the cluster's server (SIGKILL, a private one: see <see cref="HydrateClusterFixture.PrivateServer"/>) while
/// grains keep writing, keeps it down for a moment and restarts it on the same port, empty. Publishers buffer while
/// disconnected and may flush before the subscribers are back, so updates are lost; the silos must converge anyway.
/// The server crashes once in every pass of writes, the last time in the last pass, and nothing is written after it.
/// </summary>
public abstract class BrokerCrashTests<TFixture> : IClassFixture<TFixture>
    where TFixture : HydrateClusterFixture
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(1);
    private readonly TFixture _fixture;

    protected BrokerCrashTests(TFixture fixture)
    {
        // No server program: skip locally, fail on CI.
        fixture.EnsureAvailable();
        _fixture = fixture;
    }

    [Fact]
    public async Task ServerCrashedAndRestartedWhileGrainsWrite_EverySiloConverges()
    {
        const int Keys = 300;
        const int Crashes = 2;
        var server = _fixture.PrivateServer!;
        var workload = new GrainWriteWorkload(_fixture, Keys, passes: Crashes);
        var repairedBefore = _fixture.PricesStatistic(s => s.Repaired);
        var retransmittedBefore = _fixture.PricesStatistic(s => s.Retransmitted);
        var processes = new List<(int Killed, int Restarted)>();
        var started = Stopwatch.GetTimestamp();

        await workload.RunAsync(
            async pass =>
            {
                var killed = await server.CrashAsync();
                await Task.Delay(Outage);
                var restarted = await server.RestartAsync();
                lock (processes)
                {
                    processes.Add((killed, restarted));
                }
            },
            faultAfter: Keys / 4);

        // The fault happened, every time: a process was killed (CrashAsync proved it gone) and another took its port.
        Assert.Equal(Crashes, processes.Count);
        Assert.All(processes, p => Assert.NotEqual(p.Killed, p.Restarted));

        var converged = await workload.WaitUntilEverySiloHoldsFinalStateAsync();

        var repaired = _fixture.PricesStatistic(s => s.Repaired) - repairedBefore;
        Console.WriteLine($"{typeof(TFixture).Name}: {Crashes} crashes (pids {string.Join(", ", processes.Select(p => $"{p.Killed}->{p.Restarted}"))}), " +
            $"{workload.Writes} writes ({workload.Retried} retried) done after {Stopwatch.GetElapsedTime(started, workload.FinishedAt).TotalMilliseconds:F0} ms, " +
            $"{repaired} entries repaired, {_fixture.PricesStatistic(s => s.Retransmitted) - retransmittedBefore} updates retransmitted on request, converged {converged.TotalMilliseconds:F0} ms after the last write");
        Assert.True(repaired > 0, "no update was lost and repaired: the crashes did not bite");

        // The subscriptions came back: updates published after the restarts reach every silo through the transport
        // (counted as applied; a repair that copies one from a peer is counted apart, and the client has no cache).
        // Publish until each silo has applied one: a transport may still lose the first ones after a crash.
        var silos = _fixture.ActiveSilos.ToList();
        var appliedBefore = silos.ToDictionary(s => s, s => _fixture.PricesStatisticOn(s, st => st.Applied));
        var publisher = _fixture.Cluster.Client.ServiceProvider.GetRequiredService<IHydratePublisher<PriceRecord>>();
        var probes = 0;
        var probing = Stopwatch.GetTimestamp();
        List<SiloAddress> Silent() => [.. silos.Where(s => _fixture.PricesStatisticOn(s, st => st.Applied) == appliedBefore[s])];
        while (Silent() is { Count: > 0 } silent)
        {
            Assert.True(Stopwatch.GetElapsedTime(probing) < TimeSpan.FromSeconds(30), $"no update reached {string.Join(", ", silent)} through the transport within 30 s of the restarts ({probes} published)");
            await publisher.PublishAsync(workload.Prefix + "probe", new PriceRecord("probe", ++probes), cancellationToken: TestContext.Current.CancellationToken);
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Console.WriteLine($"{typeof(TFixture).Name}: every silo applied an update from the transport after {probes} probe(s), {Stopwatch.GetElapsedTime(probing).TotalMilliseconds:F0} ms");
    }
}

[TestSuite("Functional"), TestProvider("Redis"), TestArea("Convergence")]
public sealed class RedisBrokerCrashTests(RedisCrashClusterFixture fixture) : BrokerCrashTests<RedisCrashClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("NATS"), TestArea("Convergence")]
public sealed class NatsBrokerCrashTests(NatsCrashClusterFixture fixture) : BrokerCrashTests<NatsCrashClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("Kafka"), TestArea("Convergence")]
public sealed class KafkaBrokerCrashTests(KafkaCrashClusterFixture fixture) : BrokerCrashTests<KafkaCrashClusterFixture>(fixture);
