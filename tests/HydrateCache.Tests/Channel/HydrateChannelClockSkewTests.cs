using HydrateCache.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Channel;

/// <summary>Frames versioned too far ahead of the receiver's clock (<see cref="HydrateChannelOptions{T}.MaxClockSkew"/>).</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Clock")]
public class HydrateChannelClockSkewTests
{
    private const long NowMs = 1_700_000_000_000;
    private static readonly Guid Sender = new("00000000-0000-0000-0000-0000000000aa");
    private static readonly InMemoryTransport Unused = new();

    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(NowMs));

    private HydrateChannel<string> NewReader(string name = "c", TimeSpan? maxClockSkew = null, CapturingLoggerFactory? logs = null)
    {
        var options = new HydrateChannelOptions<string> { TimeProvider = _time, LoggerFactory = logs };
        if (maxClockSkew is { } skew)
        {
            options.MaxClockSkew = skew;
        }

        return new HydrateChannel<string>(Unused, name, options);
    }

    private LocalHydratedCache<string> NewCache() =>
        new(new LocalHydratedCacheOptions { TimeProvider = _time, SweepInterval = TimeSpan.Zero });

    private static byte[] FrameAt(HydrateChannel<string> channel, long physicalTime, uint counter = 0, string key = "k") =>
        channel.Encode(new TypedMessage<string>(key, MessageKind.Upsert, "v", null, new HybridTimestamp(physicalTime, counter), Sender, 1));

    [Fact]
    public void MaxClockSkew_Default_IsOneMinute()
    {
        Assert.Equal(TimeSpan.FromMinutes(1), new HydrateChannelOptions<string>().MaxClockSkew);
    }

    [Fact]
    public void HydrateDropReason_ClockSkew_IsAppendedAfterTheExistingValues()
    {
        Assert.Equal(7, (int)HydrateDropReason.TransportLoss);
        Assert.Equal(8, (int)HydrateDropReason.ClockSkew);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Constructor_NonPositiveMaxClockSkew_Throws(int seconds)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NewReader(maxClockSkew: TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void Constructor_InfiniteMaxClockSkew_IsAccepted()
    {
        Assert.NotNull(NewReader(maxClockSkew: Timeout.InfiniteTimeSpan));
    }

    [Fact]
    public void Apply_VersionBeyondMaxClockSkew_IsDroppedAndCounted_NeverReachesCacheOrClock()
    {
        using var metrics = new ChannelMetricRecorder(ChannelMetricRecorder.UniqueChannel("skew"));
        var reader = NewReader(metrics.Channel);
        using var cache = NewCache();

        Assert.Null(reader.Apply(new TransportMessage("t", FrameAt(reader, NowMs + 60_001)), cache));

        Assert.Equal(1, reader.Statistics.Received);
        Assert.Equal(1, reader.Statistics.GetDropped(HydrateDropReason.ClockSkew));
        Assert.Equal(1, reader.Statistics.Dropped);
        Assert.Equal(0, reader.Statistics.Applied);
        Assert.Equal(1, metrics.Sum("hydratecache.messages.dropped", "hydratecache.drop_reason", "ClockSkew"));
        Assert.Equal(0, metrics.Sum("hydratecache.updates.applied"));
        Assert.False(cache.TryGetVersion("k", out _, out _));

        // The clock did not move: the next local write is stamped with the local wall time.
        Assert.Equal(new HybridTimestamp(NowMs, 0), reader.CreateUpsert("x", "y").Version);
    }

    [Fact]
    public void Apply_VersionExactlyMaxClockSkewAhead_IsAppliedAndAdvancesTheClock()
    {
        var reader = NewReader();
        using var cache = NewCache();

        Assert.Equal(HydrateApplyResult.Applied, reader.Apply(new TransportMessage("t", FrameAt(reader, NowMs + 60_000, 3)), cache));

        Assert.Equal(0, reader.Statistics.Dropped);
        Assert.Equal(new HybridTimestamp(NowMs + 60_000, 4), reader.CreateUpsert("x", "y").Version);
    }

    [Fact]
    public void Apply_VersionFromThePast_IsNeverRejectedForSkew()
    {
        var reader = NewReader();
        using var cache = NewCache();

        Assert.Equal(HydrateApplyResult.Applied, reader.Apply(new TransportMessage("t", FrameAt(reader, 1)), cache));
        Assert.Equal(0, reader.Statistics.Dropped);
    }

    [Theory]
    [InlineData(4_999, true)]
    [InlineData(5_000, true)]
    [InlineData(5_001, false)]
    public void Decode_ConfiguredMaxClockSkew_IsTheLimit(long aheadMs, bool accepted)
    {
        var reader = NewReader(maxClockSkew: TimeSpan.FromSeconds(5));

        Assert.Equal(accepted, reader.Decode(FrameAt(reader, NowMs + aheadMs)) is not null);
        Assert.Equal(accepted ? 0 : 1, reader.Statistics.GetDropped(HydrateDropReason.ClockSkew));
    }

    [Fact]
    public void Decode_LimitMovesWithTheReceiversClock()
    {
        var reader = NewReader();
        var frame = FrameAt(reader, NowMs + 90_000);

        Assert.Null(reader.Decode(frame));
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.NotNull(reader.Decode(frame));
    }

    [Fact]
    public void Decode_SkewedFrames_AreLoggedWithRateLimitNamingTheSender()
    {
        var logs = new CapturingLoggerFactory();
        var reader = NewReader(logs: logs);
        var frame = FrameAt(reader, NowMs + TimeSpan.FromHours(1).Ticks / TimeSpan.TicksPerMillisecond);

        Assert.Null(reader.Decode(frame));
        Assert.Null(reader.Decode(frame));
        Assert.Null(reader.Decode(frame));
        var first = Assert.Single(logs.WithId(HydrateEventId.PayloadRejected));
        Assert.Contains("ClockSkew", first.Message, StringComparison.Ordinal);
        Assert.Contains(Sender.ToString(), first.Message, StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(reader.Decode(frame));
        Assert.Equal(2, logs.Count(HydrateEventId.PayloadRejected));
        Assert.Contains("2 similar drops", logs.WithId(HydrateEventId.PayloadRejected)[1].Message, StringComparison.Ordinal);
        Assert.Equal(4, reader.Statistics.GetDropped(HydrateDropReason.ClockSkew));
    }

    [Fact]
    public void ApplyRepair_SkewedFrame_IsDroppedAndCounted_NotRepaired()
    {
        var reader = NewReader();
        using var cache = NewCache();

        Assert.Null(reader.ApplyRepair(FrameAt(reader, NowMs + 120_000), cache));

        Assert.Equal(1, reader.Statistics.GetDropped(HydrateDropReason.ClockSkew));
        Assert.Equal(0, reader.Statistics.Repaired);
        Assert.False(cache.TryGetVersion("k", out _, out _));
        Assert.Equal(new HybridTimestamp(NowMs, 0), reader.CreateUpsert("x", "y").Version);
    }

    [Fact]
    public void TryDecode_SkewedFrame_IsRejectedWithoutCounting()
    {
        var reader = NewReader();

        Assert.False(reader.TryDecode(FrameAt(reader, NowMs + 120_000), out _));
        Assert.Equal(0, reader.Statistics.Dropped);
    }

    [Fact]
    public void Apply_SkewGuardDisabled_ExtremeVersionReachesTheCacheButNotTheClock()
    {
        var reader = NewReader(maxClockSkew: Timeout.InfiniteTimeSpan);
        using var cache = NewCache();

        Assert.Equal(HydrateApplyResult.Applied, reader.Apply(new TransportMessage("t", FrameAt(reader, long.MaxValue, uint.MaxValue)), cache));

        // The clock refuses a version beyond the year 9999 instead of overflowing.
        Assert.Equal(new HybridTimestamp(NowMs, 0), reader.CreateUpsert("x", "y").Version);
        Assert.True(cache.TryGetVersion("k", out var version, out _));
        Assert.Equal(new HybridTimestamp(long.MaxValue, uint.MaxValue), version);
    }

    [Fact]
    public void Apply_DefaultGuard_ExtremeVersionIsDroppedAsClockSkew()
    {
        var reader = NewReader();
        using var cache = NewCache();

        Assert.Null(reader.Apply(new TransportMessage("t", FrameAt(reader, long.MaxValue, uint.MaxValue)), cache));
        Assert.Equal(1, reader.Statistics.GetDropped(HydrateDropReason.ClockSkew));
        Assert.Equal(0, cache.TombstoneCount + cache.Count);
    }
}
