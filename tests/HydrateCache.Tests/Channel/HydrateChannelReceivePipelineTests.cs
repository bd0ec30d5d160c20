using HydrateCache.TestKit;

namespace HydrateCache.Tests.Channel;

/// <summary>The public receive pipeline (<see cref="HydrateChannel{T}.Apply"/>) that plain services and the Orleans worker share.</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Channel")]
public class HydrateChannelReceivePipelineTests
{
    private static readonly InMemoryTransport Unused = new();

    private static TransportMessage Frame(HydrateChannel<string> sender, TypedMessage<string> message) =>
        new("t", sender.Encode(message));

    [Fact]
    public void Apply_CountsAppliedStaleAndDuplicateByVersion()
    {
        var writer = new HydrateChannel<string>(Unused, "c");
        var reader = new HydrateChannel<string>(Unused, "c");
        using var cache = new LocalHydratedCache<string>();
        var older = writer.CreateUpsert("k", "old");
        var newer = writer.CreateUpsert("k", "new");

        Assert.Equal(HydrateApplyResult.Applied, reader.Apply(Frame(writer, newer), cache));
        Assert.Equal(HydrateApplyResult.Duplicate, reader.Apply(Frame(writer, newer), cache));
        Assert.Equal(HydrateApplyResult.Stale, reader.Apply(Frame(writer, older), cache));

        Assert.True(cache.TryGet("k", out var value));
        Assert.Equal("new", value);
        Assert.Equal(1, reader.Statistics.Applied);
        Assert.Equal(1, reader.Statistics.Duplicates);
        Assert.Equal(1, reader.Statistics.Stale);
        Assert.Equal(3, reader.Statistics.Received);
        Assert.Equal(0, reader.Statistics.Dropped);
    }

    [Fact]
    public void Apply_BadFrame_IsDroppedAndCounted_CacheUntouched()
    {
        var reader = new HydrateChannel<string>(Unused, "c");
        using var cache = new LocalHydratedCache<string>();

        Assert.Null(reader.Apply(new TransportMessage("t", new byte[] { 1, 2, 3 }), cache));

        Assert.Equal(1, reader.Statistics.GetDropped(HydrateDropReason.NotAFrame));
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, reader.Statistics.Applied);
    }

    [Fact]
    public void Apply_LossBeforeAFrame_IsCountedAndTheFrameStillApplied()
    {
        var writer = new HydrateChannel<string>(Unused, "c");
        var reader = new HydrateChannel<string>(Unused, "c");
        using var cache = new LocalHydratedCache<string>();

        var result = reader.Apply(Frame(writer, writer.CreateUpsert("k", "v")) with { LostBefore = 4 }, cache);
        Assert.Equal(HydrateApplyResult.Applied, result);
        Assert.Null(reader.Apply(new TransportMessage("t", ReadOnlyMemory<byte>.Empty) { LostBefore = 2, IsLossNotice = true }, cache));

        Assert.Equal(6, reader.Statistics.GetDropped(HydrateDropReason.TransportLoss));
        Assert.Equal(1, reader.Statistics.Received);
    }

    [Fact]
    public void TryDecode_CountsNothing_WhileDecodeCounts()
    {
        var writer = new HydrateChannel<string>(Unused, "c");
        var reader = new HydrateChannel<string>(Unused, "c");
        var frame = writer.Encode(writer.CreateUpsert("k", "v"));

        Assert.True(reader.TryDecode(frame, out var quiet));
        Assert.Equal("v", quiet.Payload);
        Assert.False(reader.TryDecode(new byte[] { 0xFF }, out _));
        Assert.Equal(0, reader.Statistics.Received);
        Assert.Equal(0, reader.Statistics.Dropped);

        Assert.NotNull(reader.Decode(frame));
        Assert.Null(reader.Decode(new byte[] { 0xFF }));
        Assert.Equal(2, reader.Statistics.Received);
        Assert.Equal(1, reader.Statistics.Dropped);
    }

    [Fact]
    public async Task HydrateAsync_UsesTheSamePipeline_CountingOutcomes()
    {
        await using var bus = new InMemoryTransport();
        var writer = new HydrateChannel<string>(bus, "c");
        var reader = new HydrateChannel<string>(bus, "c");
        using var cache = new LocalHydratedCache<string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var hydrating = reader.HydrateAsync(cache, stop.Token);

        var message = writer.CreateUpsert("k", "v");
        await writer.SendAsync(message, TestContext.Current.CancellationToken);
        await writer.SendAsync(message, TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(() => reader.Statistics.Received == 2, "both copies arrive");

        Assert.Equal(1, reader.Statistics.Applied);
        Assert.Equal(1, reader.Statistics.Duplicates);
        await stop.CancelAsync();
        await hydrating;
    }
}
