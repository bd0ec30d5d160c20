using System.Diagnostics;
using HydrateCache.TestKit;

namespace HydrateCache.Orleans.Tests;

/// <summary>
/// A plain .NET publisher (a <see cref="HydrateChannel{T}"/> outside the cluster, on its own transport client) whose
/// last updates never reach the broker, and which then goes quiet: no silo has them, so peer repair cannot help. Its
/// heartbeats reveal the lost tail to every silo, which ask for it, and the publisher's retransmit window brings every
/// silo to its final state. The test ends with the loss: nothing is written after it.
/// </summary>
public abstract class PublisherTailRecoveryTests<TFixture> : IClassFixture<TFixture>
    where TFixture : HydrateClusterFixture
{
    private readonly TFixture _fixture;

    protected PublisherTailRecoveryTests(TFixture fixture)
    {
        // No server: skip locally, fail on CI.
        fixture.EnsureAvailable();
        _fixture = fixture;
    }

    [Fact]
    public async Task PlainPublisherLosesItsTailAndGoesQuiet_EverySiloConverges_ByRetransmission()
    {
        const int Keys = 40;
        const ulong Tail = 10;
        var recoveredBefore = _fixture.PricesStatistic(s => s.Recovered);
        var (publisher, lossy) = await NewPublisherLosingTailAsync(Keys, Tail);
        await using var _ = publisher;

        var prefix = await PublishAsync(publisher, "tail", Keys, writeSource: false);

        // The fault happened: the last ten updates never reached the broker, so no silo (and no peer) has them.
        Assert.Equal((long)Tail, lossy.Killed);
        var converged = await WaitUntilEverySiloHoldsAsync(prefix, Keys);

        var silos = _fixture.ActiveSilos.Count();
        var recovered = _fixture.PricesStatistic(s => s.Recovered) - recoveredBefore;
        Console.WriteLine($"{typeof(TFixture).Name}: publisher lost its last {Tail} of {Keys} updates, retransmitted {publisher.Statistics.Retransmitted} after {_fixture.PricesStatistic(s => s.RetransmitRequests)} requests from {silos} silos, {recovered} recovered, converged {converged.TotalMilliseconds:F0} ms after the last publish");
        Assert.True(recovered >= (long)Tail * silos, $"every silo recovers the tail: {recovered} recovered");
        Assert.True(publisher.Statistics.Retransmitted >= (long)Tail, $"the publisher retransmitted {publisher.Statistics.Retransmitted}");
    }

    [Fact]
    public async Task PublisherNoLongerHoldsItsLostTail_EverySiloLoadsFromTheSource()
    {
        const int Keys = 30;
        const ulong Tail = 10;
        var (unrecoveredBefore, loadedBefore, repairedBefore, loadsBefore) =
            (_fixture.PricesStatistic(s => s.Unrecovered), _fixture.PricesStatistic(s => s.Loaded), _fixture.PricesStatistic(s => s.Repaired), _fixture.PriceSource.Loads);

        // The publisher's window holds only its very last frame, so nine of the lost ten can be neither retransmitted
        // nor copied from a peer: only the system of record (written first, as write-through does) has them.
        var (publisher, lossy) = await NewPublisherLosingTailAsync(Keys, Tail, windowMessages: 1);
        await using var _ = publisher;

        var prefix = await PublishAsync(publisher, "source", Keys, writeSource: true);

        Assert.Equal((long)Tail, lossy.Killed);
        var converged = await WaitUntilEverySiloHoldsAsync(prefix, Keys);

        var silos = _fixture.ActiveSilos.Count();
        var unrecovered = _fixture.PricesStatistic(s => s.Unrecovered) - unrecoveredBefore;
        var loaded = _fixture.PricesStatistic(s => s.Loaded) - loadedBefore;
        var repaired = _fixture.PricesStatistic(s => s.Repaired) - repairedBefore;
        var loads = _fixture.PriceSource.Loads - loadsBefore;
        Console.WriteLine($"{typeof(TFixture).Name}: publisher lost its last {Tail} updates and held 1; {unrecovered} given up by {silos} silos, {loads} source loads, {loaded} entries loaded, {repaired} copied from peers, converged {converged.TotalMilliseconds:F0} ms after the last publish");
        Assert.True(unrecovered >= ((long)Tail - 1) * silos, $"every silo gave up the evicted updates: {unrecovered}");

        // The source was the only copy of the nine: some silo loaded them from it; the others from it too, or from that silo.
        Assert.True(loaded >= (long)Tail - 1, $"the evicted updates came from the source: {loaded} loaded");
        Assert.True(loaded + repaired >= ((long)Tail - 1) * silos, $"{loaded} loaded + {repaired} copied");
    }

    /// <summary>A plain .NET publisher of the prices channel, on its own transport client, whose last <paramref name="tail"/> updates never reach the broker.</summary>
    private async Task<(HydrateChannel<PriceRecord> Publisher, LossyTransport Lossy)> NewPublisherLosingTailAsync(int keys, ulong tail, int? windowMessages = null)
    {
        var lossy = new LossyTransport(await _fixture.ConnectAsync(), sequence => sequence > (ulong)keys - tail) { LosesPublished = true };
        var options = new HydrateChannelOptions<PriceRecord> { TopicPrefix = _fixture.TopicPrefix };
        if (windowMessages is { } messages)
        {
            options.Recovery.RetransmitWindowMessages = messages;
        }

        return (new HydrateChannel<PriceRecord>(lossy, HydrateClusterFixture.PricesChannel, options), lossy);
    }

    /// <summary>Publishes one update per key (written to the fixture's source first when asked) and returns the keys' prefix.</summary>
    private async Task<string> PublishAsync(HydrateChannel<PriceRecord> publisher, string hint, int keys, bool writeSource)
    {
        var prefix = $"{hint}-{Guid.NewGuid():N}-";
        for (var i = 0; i < keys; i++)
        {
            if (writeSource)
            {
                _fixture.PriceSource.Write(prefix + i, new PriceRecord(prefix + i, i));
            }

            await publisher.PublishAsync(prefix + i, new PriceRecord(prefix + i, i), cancellationToken: TestContext.Current.CancellationToken);
        }

        return prefix;
    }

    /// <summary>Waits until every silo holds every key's value and returns how long that took.</summary>
    private async Task<TimeSpan> WaitUntilEverySiloHoldsAsync(string prefix, int keys)
    {
        var started = Stopwatch.GetTimestamp();
        await Eventually.TrueAsync(
            () => _fixture.Caches<PriceRecord>().All(c => Enumerable.Range(0, keys).All(i => c.Cache.TryGet(prefix + i, out var p) && p.Value == i)),
            "every silo holds every update of the publisher",
            TimeSpan.FromSeconds(30));
        return Stopwatch.GetElapsedTime(started);
    }
}

[TestSuite("Functional"), TestProvider("InMemory"), TestArea("Convergence")]
public sealed class InMemoryPublisherTailRecoveryTests(InMemoryClusterFixture fixture) : PublisherTailRecoveryTests<InMemoryClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("Redis"), TestArea("Convergence")]
public sealed class RedisPublisherTailRecoveryTests(RedisClusterFixture fixture) : PublisherTailRecoveryTests<RedisClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("Nats"), TestArea("Convergence")]
public sealed class NatsPublisherTailRecoveryTests(NatsClusterFixture fixture) : PublisherTailRecoveryTests<NatsClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("Postgres"), TestArea("Convergence")]
public sealed class PostgresPublisherTailRecoveryTests(PostgresClusterFixture fixture) : PublisherTailRecoveryTests<PostgresClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("Kafka"), TestArea("Convergence")]
public sealed class KafkaPublisherTailRecoveryTests(KafkaClusterFixture fixture) : PublisherTailRecoveryTests<KafkaClusterFixture>(fixture);
