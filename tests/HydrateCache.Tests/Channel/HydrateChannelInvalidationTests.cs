using HydrateCache.TestKit;

namespace HydrateCache.Tests.Channel;

/// <summary>Invalidate-only mode on the publishing side: which upserts travel as invalidations, and what receivers do with them.</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Channel")]
public sealed class HydrateChannelInvalidationTests : IAsyncDisposable
{
    private readonly InMemoryTransport _bus = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync() => await _bus.DisposeAsync();

    private HydrateChannel<string> Publisher(HydrateInvalidationMode mode, int maxBroadcastPayloadBytes, LocalHydratedCache<string>? cache = null)
    {
        var options = new HydrateChannelOptions<string> { LocalCache = cache };
        options.Invalidation.Mode = mode;
        options.Invalidation.MaxBroadcastPayloadBytes = maxBroadcastPayloadBytes;
        return new HydrateChannel<string>(_bus, "docs", options);
    }

    [Fact]
    public async Task Publish_AboveSize_LargeValuesTravelAsInvalidationsSmallOnesWithTheirValue()
    {
        var source = new DictionarySource<string>();
        using var publisherCache = new LocalHydratedCache<string>();
        using var receiverCache = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { StartsWarm = false });
        await using var publisher = Publisher(HydrateInvalidationMode.AboveSize, 16, publisherCache);
        await using var receiver = new HydrateChannel<string>(_bus, "docs", new HydrateChannelOptions<string> { Source = source });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var hydrating = receiver.HydrateAsync(receiverCache, stop.Token);
        await receiverCache.WhenWarmAsync(Token);

        var large = new string('x', 100);
        await publisher.PublishAsync("small", "tiny", cancellationToken: Token);
        source.Write("large", large);
        await publisher.PublishAsync("large", large, cancellationToken: Token);
        await Eventually.TrueAsync(() => receiverCache.TryGetVersion("large", out _, out _), "the invalidation arrives");

        Assert.True(receiverCache.TryGet("small", out var small));
        Assert.Equal("tiny", small);
        Assert.False(receiverCache.TryGet("large", out _));
        Assert.True(publisherCache.TryGet("large", out var own));
        Assert.Equal(large, own);
        Assert.Equal(2, publisher.Statistics.Published);
        Assert.Equal(1, publisher.Statistics.Invalidations);

        var loaded = await receiverCache.GetOrLoadAsync("large", Token);
        Assert.Equal(large, loaded!.Value.Value);
        Assert.True(publisherCache.TryGetEntry("large", out var published));
        Assert.Equal((published.Version, published.SenderId), (loaded.Value.Version, loaded.Value.SenderId));
        Assert.Equal(1, receiver.Statistics.KeyLoads);
        Assert.Equal(publisherCache.GetDigest(8), receiverCache.GetDigest(8));

        await stop.CancelAsync();
        await hydrating;
    }

    [Theory]
    [InlineData(HydrateInvalidationMode.Never, 0, MessageKind.Upsert)]
    [InlineData(HydrateInvalidationMode.Always, 1_000_000, MessageKind.Invalidate)]
    [InlineData(HydrateInvalidationMode.AboveSize, 1_000_000, MessageKind.Upsert)]
    [InlineData(HydrateInvalidationMode.AboveSize, 4, MessageKind.Invalidate)]
    public async Task Encode_Upsert_FollowsTheMode(HydrateInvalidationMode mode, int maxBroadcastPayloadBytes, MessageKind expected)
    {
        await using var channel = Publisher(mode, maxBroadcastPayloadBytes);
        var message = channel.CreateUpsert("k", "a value of some bytes", new Ttl(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1)));

        Assert.True(channel.TryDecode(channel.Encode(message), out var decoded));
        Assert.Equal(expected, decoded.Kind);
        Assert.Equal((message.Version, message.SenderId, message.Sequence), (decoded.Version, decoded.SenderId, decoded.Sequence));
        if (expected == MessageKind.Invalidate)
        {
            Assert.Null(decoded.Payload);
            Assert.Null(decoded.Ttl);
        }
        else
        {
            Assert.Equal("a value of some bytes", decoded.Payload);
        }

        // Deletes are deletes in every mode.
        Assert.True(channel.TryDecode(channel.Encode(channel.CreateDelete("k")), out var delete));
        Assert.Equal(MessageKind.Delete, delete.Kind);
    }

    [Fact]
    public void Constructor_NegativeThreshold_Throws()
    {
        var options = new HydrateChannelOptions<string>();
        options.Invalidation.MaxBroadcastPayloadBytes = -1;
        Assert.Throws<ArgumentOutOfRangeException>(() => new HydrateChannel<string>(_bus, "docs", options));
    }
}
