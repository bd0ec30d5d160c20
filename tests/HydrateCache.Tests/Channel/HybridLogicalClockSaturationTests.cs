using HydrateCache.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Channel;

/// <summary>The hybrid clock at the edges of its range: it never overflows, wraps or throws.</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Clock")]
public class HybridLogicalClockSaturationTests
{
    private const long NowMs = 1_700_000_000_000;

    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(NowMs));

    [Fact]
    public void MaxPhysicalTime_IsTheLastMillisecondOfDateTimeOffset()
    {
        Assert.Equal(253_402_300_799_999, HybridLogicalClock.MaxPhysicalTime);
        Assert.Equal(DateTimeOffset.MaxValue.UtcTicks / TimeSpan.TicksPerMillisecond, new HybridTimestamp(HybridLogicalClock.MaxPhysicalTime, 0).PhysicalDateTime.UtcTicks / TimeSpan.TicksPerMillisecond);
    }

    [Theory]
    [InlineData(long.MaxValue, uint.MaxValue)]
    [InlineData(long.MaxValue, 0u)]
    [InlineData(253_402_300_800_000, 0u)]
    public void Observe_PhysicalTimeBeyondTheRange_IsRefusedAndChangesNothing(long physical, uint counter)
    {
        var clock = new HybridLogicalClock(_time);
        clock.Next();

        Assert.False(clock.Observe(new HybridTimestamp(physical, counter)));
        Assert.Equal(new HybridTimestamp(NowMs, 1), clock.Next());
    }

    [Fact]
    public void Observe_CounterAtMaximum_NextBorrowsTheNextMillisecond()
    {
        var clock = new HybridLogicalClock(_time);

        Assert.True(clock.Observe(new HybridTimestamp(NowMs + 10, uint.MaxValue)));
        Assert.Equal(new HybridTimestamp(NowMs + 11, 0), clock.Next());
        Assert.Equal(new HybridTimestamp(NowMs + 11, 1), clock.Next());
    }

    [Fact]
    public void Next_FrozenClockWithCounterAtMaximum_BorrowsTheNextMillisecond()
    {
        var clock = new HybridLogicalClock(_time);
        clock.Observe(new HybridTimestamp(NowMs, uint.MaxValue - 1));

        Assert.Equal(new HybridTimestamp(NowMs, uint.MaxValue), clock.Next());
        Assert.Equal(new HybridTimestamp(NowMs + 1, 0), clock.Next());
    }

    [Fact]
    public void Next_AtTheGreatestTimestamp_SaturatesInsteadOfWrapping()
    {
        var clock = new HybridLogicalClock(_time);
        var greatest = new HybridTimestamp(HybridLogicalClock.MaxPhysicalTime, uint.MaxValue);

        Assert.True(clock.Observe(greatest));
        Assert.Equal(greatest, clock.Next());
        Assert.Equal(greatest, clock.Next());
        Assert.Equal(DateTimeOffset.MaxValue.Year, clock.Next().PhysicalDateTime.Year);
    }

    [Fact]
    public void Next_OneBelowTheGreatestTimestamp_ReachesItThenSaturates()
    {
        var clock = new HybridLogicalClock(_time);
        clock.Observe(new HybridTimestamp(HybridLogicalClock.MaxPhysicalTime - 1, uint.MaxValue));

        Assert.Equal(new HybridTimestamp(HybridLogicalClock.MaxPhysicalTime, 0), clock.Next());
        clock.Observe(new HybridTimestamp(HybridLogicalClock.MaxPhysicalTime, uint.MaxValue - 1));
        Assert.Equal(new HybridTimestamp(HybridLogicalClock.MaxPhysicalTime, uint.MaxValue), clock.Next());
        Assert.Equal(new HybridTimestamp(HybridLogicalClock.MaxPhysicalTime, uint.MaxValue), clock.Next());
    }

    [Fact]
    public void Next_WallClockAtDateTimeOffsetMaxValue_DoesNotThrow()
    {
        var clock = new HybridLogicalClock(new FakeTimeProvider(DateTimeOffset.MaxValue));

        Assert.Equal(new HybridTimestamp(HybridLogicalClock.MaxPhysicalTime, 0), clock.Next());
        Assert.Equal(new HybridTimestamp(HybridLogicalClock.MaxPhysicalTime, 1), clock.Next());
    }
}
