using System.Text;
using HydrateCache.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Channel;

/// <summary><see cref="HydrateChannel{T}.ApplyRepair"/>, <see cref="HydrateChannel{T}.Encode"/> and how outcomes are counted.</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Channel")]
public class HydrateChannelRepairTests
{
    private const long NowMs = 1_700_000_000_000;
    private static readonly Guid Peer = new("00000000-0000-0000-0000-0000000000bb");
    private static readonly InMemoryTransport Unused = new();

    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(NowMs));

    private HydrateChannel<string> NewChannel(string name = "c", int maxMessageBytes = 1024 * 1024) =>
        new(Unused, name, new HydrateChannelOptions<string> { TimeProvider = _time, MaxMessageBytes = maxMessageBytes });

    private LocalHydratedCache<string> NewCache() =>
        new(new LocalHydratedCacheOptions { TimeProvider = _time, SweepInterval = TimeSpan.Zero });

    private static TypedMessage<string> Upsert(string key, string value, long ms, Ttl? ttl = null) =>
        new(key, MessageKind.Upsert, value, ttl, new HybridTimestamp(ms, 0), Peer, 0);

    private static TypedMessage<string> Delete(string key, long ms) =>
        new(key, MessageKind.Delete, null, null, new HybridTimestamp(ms, 0), Peer, 0);

    // ---- ApplyRepair ----

    [Fact]
    public void ApplyRepair_MissingKey_IsAppliedAndCountedAsRepaired()
    {
        var channel = NewChannel();
        using var cache = NewCache();

        Assert.Equal(HydrateApplyResult.Applied, channel.ApplyRepair(channel.Encode(Upsert("k", "v", NowMs - 10)), cache));

        Assert.True(cache.TryGet("k", out var value));
        Assert.Equal("v", value);
        Assert.Equal(1, channel.Statistics.Repaired);
        Assert.Equal(0, channel.Statistics.Dropped);
    }

    [Fact]
    public void ApplyRepair_SameVersionAgain_IsDuplicateAndNotCounted()
    {
        var channel = NewChannel();
        using var cache = NewCache();
        var frame = channel.Encode(Upsert("k", "v", NowMs - 10));

        channel.ApplyRepair(frame, cache);
        Assert.Equal(HydrateApplyResult.Duplicate, channel.ApplyRepair(frame, cache));
        Assert.Equal(1, channel.Statistics.Repaired);
    }

    [Fact]
    public void ApplyRepair_OlderVersion_IsStaleChangesNothingAndIsNotCounted()
    {
        var channel = NewChannel();
        using var cache = NewCache();
        cache.Apply(Upsert("k", "newer", NowMs - 5));
        var changes = 0;
        cache.Changed += (_, _) => changes++;

        Assert.Equal(HydrateApplyResult.Stale, channel.ApplyRepair(channel.Encode(Upsert("k", "older", NowMs - 10)), cache));
        Assert.Equal(HydrateApplyResult.Stale, channel.ApplyRepair(channel.Encode(Delete("k", NowMs - 10)), cache));

        Assert.True(cache.TryGet("k", out var value));
        Assert.Equal("newer", value);
        Assert.True(cache.TryGetVersion("k", out var version, out _));
        Assert.Equal(new HybridTimestamp(NowMs - 5, 0), version);
        Assert.Equal(0, changes);
        Assert.Equal(0, channel.Statistics.Repaired);
    }

    [Fact]
    public void ApplyRepair_NewerDeleteAndExpiredValue_ChangeTheCacheAndAreCounted()
    {
        var channel = NewChannel();
        using var cache = NewCache();
        cache.Apply(Upsert("deleted", "v", NowMs - 50));
        cache.Apply(Upsert("expired", "v", NowMs - 50));

        Assert.Equal(HydrateApplyResult.Removed, channel.ApplyRepair(channel.Encode(Delete("deleted", NowMs - 10)), cache));
        var gone = new Ttl(_time.GetUtcNow() - TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(1));
        Assert.Equal(HydrateApplyResult.Expired, channel.ApplyRepair(channel.Encode(Upsert("expired", "v2", NowMs - 10, gone)), cache));

        Assert.False(cache.TryGet("deleted", out _));
        Assert.False(cache.TryGet("expired", out _));
        Assert.Equal(2, channel.Statistics.Repaired);
    }

    [Fact]
    public void ApplyRepair_AdvancesTheClockPastTheRepairedVersion()
    {
        var channel = NewChannel();
        using var cache = NewCache();
        var ahead = new TypedMessage<string>("k", MessageKind.Upsert, "v", null, new HybridTimestamp(NowMs + 1_000, 9), Peer, 0);

        channel.ApplyRepair(channel.Encode(ahead), cache);

        Assert.Equal(new HybridTimestamp(NowMs + 1_000, 10), channel.CreateUpsert("k", "local").Version);
    }

    [Fact]
    public void ApplyRepair_BadFrames_AreDroppedAndCounted_CacheUntouched()
    {
        var channel = NewChannel();
        var foreign = new HydrateChannel<string>(Unused, "c", new HydrateChannelOptions<string> { TimeProvider = _time }
            .WithCodec("utf8", Encoding.UTF8.GetBytes, bytes => Encoding.UTF8.GetString(bytes.Span)));
        using var cache = NewCache();

        Assert.Null(channel.ApplyRepair(new byte[] { 1, 2, 3 }, cache));
        Assert.Null(channel.ApplyRepair(ReadOnlyMemory<byte>.Empty, cache));
        Assert.Null(channel.ApplyRepair(foreign.Encode(Upsert("k", "v", NowMs)), cache));
        var truncated = channel.Encode(Upsert("k", "v", NowMs));
        Assert.Null(channel.ApplyRepair(truncated.AsMemory(0, truncated.Length - 1), cache));

        Assert.Equal(2, channel.Statistics.GetDropped(HydrateDropReason.NotAFrame));
        Assert.Equal(1, channel.Statistics.GetDropped(HydrateDropReason.CodecMismatch));
        Assert.Equal(1, channel.Statistics.GetDropped(HydrateDropReason.Malformed));
        Assert.Equal(4, channel.Statistics.Dropped);
        Assert.Equal(0, channel.Statistics.Repaired);
        Assert.Equal(0, cache.Count + cache.TombstoneCount);
    }

    [Fact]
    public void ApplyRepair_NullCache_Throws()
    {
        var channel = NewChannel();
        Assert.Throws<ArgumentNullException>(() => channel.ApplyRepair(channel.Encode(Upsert("k", "v", NowMs)), null!));
    }

    [Fact]
    public void ApplyRepair_PagesOfAnotherCopy_ConvergeTheDigests()
    {
        var sourceChannel = NewChannel();
        var targetChannel = NewChannel();
        using var source = NewCache();
        using var target = NewCache();
        for (var i = 0; i < 25; i++)
        {
            source.Apply(Upsert($"k{i}", $"v{i}", NowMs - 100 + i));
        }

        source.Apply(Delete("k3", NowMs));
        target.Apply(Upsert("k3", "resurrect me not", NowMs - 500));

        string? after = null;
        var changed = 0;
        IReadOnlyList<TypedMessage<string>> page;
        do
        {
            page = source.GetEntries(null, 8, after, 10);
            foreach (var entry in page)
            {
                if (targetChannel.ApplyRepair(sourceChannel.Encode(entry), target) is HydrateApplyResult.Applied or HydrateApplyResult.Removed or HydrateApplyResult.Expired)
                {
                    changed++;
                }
            }

            after = page.Count > 0 ? page[^1].Key : after;
        }
        while (page.Count == 10);

        Assert.Equal(25, changed);
        Assert.Equal(25, targetChannel.Statistics.Repaired);
        Assert.Equal(source.GetDigest(8), target.GetDigest(8));
        Assert.False(target.TryGet("k3", out _));
    }

    // ---- Encode ----

    [Fact]
    public void Encode_Upsert_RoundTripsEveryField()
    {
        var writer = NewChannel();
        var reader = NewChannel();
        var ttl = new Ttl(DateTimeOffset.FromUnixTimeMilliseconds(NowMs - 1_000), TimeSpan.FromMinutes(3));
        var message = new TypedMessage<string>("clé:é€\u0001", MessageKind.Upsert, "payload ✓", ttl, new HybridTimestamp(NowMs - 7, 42), Peer, 123_456_789_012UL);

        var decoded = reader.Decode(writer.Encode(message));

        Assert.NotNull(decoded);
        Assert.Equal(message.Key, decoded.Key);
        Assert.Equal(MessageKind.Upsert, decoded.Kind);
        Assert.Equal("payload ✓", decoded.Payload);
        Assert.Equal(ttl, decoded.Ttl);
        Assert.Equal(message.Version, decoded.Version);
        Assert.Equal(Peer, decoded.SenderId);
        Assert.Equal(message.Sequence, decoded.Sequence);
        Assert.Equal(0, decoded.CompareVersion(message));
    }

    [Fact]
    public void Encode_Delete_RoundTrips()
    {
        var channel = NewChannel();
        var message = channel.CreateDelete("k");

        Assert.True(channel.TryDecode(channel.Encode(message), out var decoded));

        Assert.Equal(MessageKind.Delete, decoded.Kind);
        Assert.Equal("k", decoded.Key);
        Assert.Null(decoded.Payload);
        Assert.Null(decoded.Ttl);
        Assert.Equal(message.Version, decoded.Version);
        Assert.Equal(channel.SenderId, decoded.SenderId);
        Assert.Equal(message.Sequence, decoded.Sequence);
    }

    [Fact]
    public void Encode_SameMessage_IsDeterministic_AndCountsNothing()
    {
        var channel = NewChannel();
        var message = Upsert("k", "v", NowMs);

        Assert.Equal(channel.Encode(message), channel.Encode(message));
        Assert.Equal(0, channel.Statistics.Published);
    }

    [Fact]
    public void Encode_OverTheChannelLimit_Throws()
    {
        var channel = NewChannel(maxMessageBytes: 128);
        Assert.Throws<HydratePayloadTooLargeException>(() => channel.Encode(Upsert("k", new string('x', 200), NowMs)));
        Assert.Throws<ArgumentNullException>(() => channel.Encode(null!));
    }

    // ---- Stale outcomes are counted in statistics and the meter ----

    [Fact]
    public void Apply_StaleUpdate_IsCountedInStatisticsAndTheAppliedMetric()
    {
        using var metrics = new ChannelMetricRecorder(ChannelMetricRecorder.UniqueChannel("stale"));
        var channel = NewChannel(metrics.Channel);
        using var cache = NewCache();
        var newer = channel.Encode(Upsert("k", "new", NowMs - 1));
        var older = channel.Encode(Upsert("k", "old", NowMs - 2));

        Assert.Equal(HydrateApplyResult.Applied, channel.Apply(new TransportMessage("t", newer), cache));
        Assert.Equal(HydrateApplyResult.Stale, channel.Apply(new TransportMessage("t", older), cache));
        Assert.Equal(HydrateApplyResult.Duplicate, channel.Apply(new TransportMessage("t", newer), cache));

        Assert.Equal(1, channel.Statistics.Stale);
        Assert.Equal(1, channel.Statistics.Applied);
        Assert.Equal(1, channel.Statistics.Duplicates);
        Assert.Equal(1, metrics.Sum("hydratecache.updates.applied", "hydratecache.result", "stale"));
        Assert.Equal(1, metrics.Sum("hydratecache.updates.applied", "hydratecache.result", "applied"));
        Assert.Equal(1, metrics.Sum("hydratecache.updates.applied", "hydratecache.result", "duplicate"));
        Assert.Equal(3, metrics.Sum("hydratecache.messages.received"));
    }

    [Fact]
    public void ApplyRepair_ThatChangesTheCache_IsCountedInTheRepairedMetric()
    {
        using var metrics = new ChannelMetricRecorder(ChannelMetricRecorder.UniqueChannel("repaired"));
        var channel = NewChannel(metrics.Channel);
        using var cache = NewCache();
        var frame = channel.Encode(Upsert("k", "v", NowMs - 1));

        Assert.Equal(HydrateApplyResult.Applied, channel.ApplyRepair(frame, cache));
        Assert.Equal(HydrateApplyResult.Duplicate, channel.ApplyRepair(frame, cache));

        Assert.Equal(1, metrics.Sum("hydratecache.updates.repaired"));
        Assert.Equal(1, channel.Statistics.Repaired);
        Assert.Equal(0, metrics.Sum("hydratecache.messages.received"));
    }
}
