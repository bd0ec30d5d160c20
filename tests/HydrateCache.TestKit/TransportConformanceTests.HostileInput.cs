using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace HydrateCache.TestKit;

/// <summary>Hostile input at scale through the transport: see <see cref="HostileFrames_AtScale_EveryFrameCountedCacheIntactSubscriptionAlive"/>.</summary>
public abstract partial class TransportConformanceTests
{
    /// <summary>The receiving channel's frame limit in the hostile-input test: the corpus's oversized frames exceed it.</summary>
    private const int HostileChannelLimit = 16 * 1024;

    /// <summary>How often the receiving channel may log a drop of one reason in the hostile-input test.</summary>
    private static readonly TimeSpan HostileDropLogInterval = TimeSpan.FromSeconds(1);

    /// <summary>Gets the number of hostile frames published to the data topic (at least; the corpus's fixed cases included).</summary>
    protected virtual int HostileDataFrames => 9_000;

    /// <summary>Gets the number of hostile frames published to the control topic (at least).</summary>
    protected virtual int HostileControlFrames => 1_500;

    /// <summary>Gets how many hostile frames are published at once (their order does not matter: see <see cref="HostileFrameCorpus"/>).</summary>
    protected virtual int HostilePublishConcurrency => 16;

    /// <summary>
    /// A channel whose cache holds known entries subscribes; more than 10,000 hostile frames of the seeded
    /// <see cref="HostileFrameCorpus"/> are published raw to its topic and control topic, then a few valid updates.
    /// The subscription survives (the valid updates apply), the cache holds exactly the expected entries, every hostile
    /// frame is counted once: by the reason an in-memory reference run of the same frames counts (so the transport
    /// delivered each one intact), within the reasons the corpus declares for it, or as lost by the transport; and
    /// drops are logged at most once per reason and interval. A frame above the transport's own limit is refused at
    /// publish with <see cref="HydratePayloadTooLargeException"/>.
    /// </summary>
    [Fact]
    public async Task HostileFrames_AtScale_EveryFrameCountedCacheIntactSubscriptionAlive()
    {
        var corpus = new HostileFrameCorpus(HostileFrameCorpus.NewSeed(), HostileChannelLimit);
        var frames = corpus.Generate(HostileDataFrames, HostileControlFrames);
        var dataFrames = frames.Count(f => f.Topic == HostileTopic.Data);
        var context = $"{GetType().Name}, hostile corpus seed {corpus.Seed} (replay with {HostileFrameCorpus.SeedVariable}={corpus.Seed})";
        Console.WriteLine(context);
        Assert.True(frames.Count >= 10_000, $"only {frames.Count} frames");
        Assert.All(frames, f => Assert.False(f.MayBeAccepted));
        var reference = await CountReferenceDropsAsync(frames);

        // The receiver: a cache with known entries, hydrated by the channel.
        var name = NewTopic("hostile");
        var logs = new CapturingLoggerFactory();
        var started = Stopwatch.StartNew();
        var receiver = new HydrateChannel<SampleOrder>(
            await NewTransportAsync(),
            name,
            new HydrateChannelOptions<SampleOrder> { MaxMessageBytes = HostileChannelLimit, LoggerFactory = logs, DropLogInterval = HostileDropLogInterval });
        using var cache = new LocalHydratedCache<SampleOrder>();
        var expected = new Dictionary<string, SampleOrder>();
        var knownSender = Guid.NewGuid();
        var knownVersion = new HybridTimestamp(DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), 0);
        for (var i = 0; i < 20; i++)
        {
            var order = corpus.NextOrder();
            Assert.Equal(HydrateApplyResult.Applied, cache.Apply(new TypedMessage<SampleOrder>($"known-{i}", MessageKind.Upsert, order, null, knownVersion, knownSender, (ulong)i + 1)));
            expected[$"known-{i}"] = order;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        await receiver.StartRecoveryAsync(receiving: true, Token);
        var hydrating = receiver.HydrateAsync(cache, stop.Token);
        await Eventually.TrueAsync(() => logs.Contains(HydrateEventId.ChannelSubscribed), "the receiver subscribed");
        await SettleSubscriptionsAsync();

        // The hostile frames, raw.
        var publisher = await NewTransportAsync();
        var controlTopic = name + ".control";
        var publishing = Stopwatch.StartNew();
        await Parallel.ForEachAsync(
            frames,
            new ParallelOptions { MaxDegreeOfParallelism = HostilePublishConcurrency, CancellationToken = Token },
            async (frame, token) => await publisher.PublishAsync(frame.Topic == HostileTopic.Data ? name : controlTopic, frame.Bytes, token));
        publishing.Stop();

        // Larger than the transport itself carries: refused at publish, clearly, on both topics.
        foreach (var topic in new[] { name, controlTopic })
        {
            var refused = await Assert.ThrowsAsync<HydratePayloadTooLargeException>(
                async () => await publisher.PublishAsync(topic, new byte[MaxMessageBytes + 1], Token));
            Assert.Equal(MaxMessageBytes + 1, refused.Size);
        }

        // Valid updates after the storm: they arrive and apply.
        var writer = new HydrateChannel<SampleOrder>(await NewTransportAsync(), name, new HydrateChannelOptions<SampleOrder> { MaxMessageBytes = HostileChannelLimit });
        var changed = corpus.NextOrder();
        var fresh = corpus.NextOrder();
        await writer.PublishAsync("known-0", changed, cancellationToken: Token);
        await writer.RemoveAsync("known-1", Token);
        await writer.PublishAsync("fresh", fresh, cancellationToken: Token);
        expected["known-0"] = changed;
        expected.Remove("known-1");
        expected["fresh"] = fresh;

        var statistics = receiver.Statistics;
        await Eventually.TrueAsync(
            () => statistics.Dropped >= frames.Count && statistics.Applied >= 3,
            () => $"{context}: dropped {statistics.Dropped} of {frames.Count} hostile frames ({Describe(statistics)}), applied {statistics.Applied} of 3 valid updates",
            TimeSpan.FromSeconds(60));
        await Task.Delay(200, Token);

        var counts = Enum.GetValues<HydrateDropReason>().ToDictionary(r => r, statistics.GetDropped);
        var lost = counts[HydrateDropReason.TransportLoss];
        Console.WriteLine(
            $"{context}: survived {frames.Count} hostile frames ({dataFrames} data, {frames.Count - dataFrames} control) published in {publishing.Elapsed.TotalSeconds:F1} s " +
            $"({frames.Count / publishing.Elapsed.TotalSeconds:F0}/s); dropped by reason: {Describe(statistics)}; reference: {string.Join(", ", reference.Where(p => p.Value > 0).Select(p => $"{p.Key} {p.Value}"))}");

        // Every frame counted once, by reason; nothing else dropped.
        Assert.Equal(frames.Count, statistics.Dropped);
        if (lost == 0)
        {
            Assert.Equal(reference, counts);
            Assert.Equal(dataFrames + 3, statistics.Received);
        }
        else
        {
            // What the transport lost was counted instead of its reason: no reason exceeds the reference.
            Assert.All(reference, pair => Assert.True(counts[pair.Key] <= pair.Value, $"{context}: {pair.Key} {counts[pair.Key]} > reference {pair.Value}"));
        }

        foreach (var reason in Enum.GetValues<HydrateDropReason>().Where(r => r != HydrateDropReason.TransportLoss))
        {
            var determined = frames.Count(f => f.Reasons.Count == 1 && f.Reasons[0] == reason);
            var possible = frames.Count(f => f.Reasons.Contains(reason));
            Assert.True(counts[reason] <= possible && counts[reason] + lost >= determined, $"{context}: {reason} {counts[reason]} outside [{determined} - {lost} lost, {possible}]");
        }

        // The cache: exactly the known entries with the valid updates, nothing from the hostile frames.
        Assert.Equal(3, statistics.Applied);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), cache.Keys.Order(StringComparer.Ordinal));
        Assert.All(expected, pair => Assert.True(cache.TryGet(pair.Key, out var value) && pair.Value.Equals(value), $"{context}: entry {pair.Key} differs"));

        // Logging rate-limited: per reason at most one line per interval (plus the first), and at least one.
        var limit = (int)Math.Ceiling(started.Elapsed / HostileDropLogInterval) + 1;
        var lines = logs.Entries
            .Where(e => e.EventId is HydrateEventId.EnvelopeRejected or HydrateEventId.PayloadRejected)
            .GroupBy(e => Enum.Parse<HydrateDropReason>(DropLogReason().Match(e.Message).Groups[1].Value))
            .ToDictionary(g => g.Key, g => g.Count());
        Console.WriteLine($"{context}: drop log lines in {started.Elapsed.TotalSeconds:F1} s (limit {limit} per reason): {string.Join(", ", lines.Select(p => $"{p.Key} {p.Value}"))}");
        Assert.All(lines, pair => Assert.True(pair.Value <= limit, $"{context}: {pair.Value} log lines for {pair.Key}, limit {limit}"));
        Assert.All(counts.Where(p => p.Value > 0 && p.Key != HydrateDropReason.TransportLoss), pair => Assert.True(lines.ContainsKey(pair.Key), $"{context}: {pair.Key} drops were never logged"));

        await stop.CancelAsync();
        await hydrating;
        await receiver.DisposeAsync();
        await writer.DisposeAsync();
    }

    /// <summary>The drops by reason of the same frames through an in-memory bus, which delivers every frame (it waits when full).</summary>
    private static async Task<Dictionary<HydrateDropReason, long>> CountReferenceDropsAsync(IReadOnlyList<HostileFrame> frames)
    {
        await using var bus = new InMemoryTransport();
        await using var channel = new HydrateChannel<SampleOrder>(bus, "reference", new HydrateChannelOptions<SampleOrder> { MaxMessageBytes = HostileChannelLimit });
        using var cache = new LocalHydratedCache<SampleOrder>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        await channel.StartRecoveryAsync(receiving: true, Token);
        var hydrating = channel.HydrateAsync(cache, stop.Token);
        await Eventually.TrueAsync(() => bus.GetSubscriberCount("reference") == 1, "the reference channel subscribed");
        foreach (var frame in frames)
        {
            await bus.PublishAsync(frame.Topic == HostileTopic.Data ? "reference" : "reference.control", frame.Bytes, Token);
        }

        await Eventually.TrueAsync(() => channel.Statistics.Dropped >= frames.Count, () => $"the reference dropped {channel.Statistics.Dropped} of {frames.Count}");
        Assert.Equal(0, cache.Count);
        await stop.CancelAsync();
        await hydrating;
        return Enum.GetValues<HydrateDropReason>().ToDictionary(r => r, channel.Statistics.GetDropped);
    }

    private static string Describe(HydrateChannelStatistics statistics) =>
        string.Join(", ", Enum.GetValues<HydrateDropReason>().Where(r => statistics.GetDropped(r) > 0).Select(r => string.Create(CultureInfo.InvariantCulture, $"{r} {statistics.GetDropped(r)}")));

    /// <summary>The reason in a drop log line: "...: {Reason} ({Suppressed} similar drops not logged ...)".</summary>
    [GeneratedRegex(@": (\w+) \(\d+ similar drops")]
    private static partial Regex DropLogReason();
}
