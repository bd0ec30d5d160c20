using HydrateCache.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Channel;

[TestSuite("BVT"), TestProvider("None"), TestArea("Clock")]
public class HybridLogicalClockTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(1_000_000));

    [Fact]
    public void Next_FrozenClock_IncrementsCounter()
    {
        var clock = new HybridLogicalClock(_time);
        Assert.Equal(new HybridTimestamp(1_000_000, 0), clock.Next());
        Assert.Equal(new HybridTimestamp(1_000_000, 1), clock.Next());
        Assert.Equal(new HybridTimestamp(1_000_000, 2), clock.Next());
    }

    [Fact]
    public void Next_ClockAdvances_ResetsCounter()
    {
        var clock = new HybridLogicalClock(_time);
        clock.Next();
        clock.Next();
        _time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(new HybridTimestamp(1_000_005, 0), clock.Next());
    }

    [Fact]
    public void Next_WallClockGoesBackwards_StaysMonotonic()
    {
        var time = new SettableTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_000_000));
        var clock = new HybridLogicalClock(time);
        var first = clock.Next();
        time.Now -= TimeSpan.FromSeconds(30);
        var second = clock.Next();
        Assert.True(second > first);
        Assert.Equal(first.PhysicalTime, second.PhysicalTime);
    }

    [Fact]
    public void Observe_TimestampFromFasterClock_NextIsGreater()
    {
        var clock = new HybridLogicalClock(_time);
        var remote = new HybridTimestamp(5_000_000, 7);
        clock.Observe(remote);
        var next = clock.Next();
        Assert.True(next > remote);
        Assert.Equal(new HybridTimestamp(5_000_000, 8), next);
    }

    [Fact]
    public void Observe_OlderTimestamp_ChangesNothing()
    {
        var clock = new HybridLogicalClock(_time);
        clock.Next();
        clock.Observe(new HybridTimestamp(10, 99));
        Assert.Equal(new HybridTimestamp(1_000_000, 1), clock.Next());
    }

    [Fact]
    public async Task Next_ManyThreads_AllUniqueAndPerThreadIncreasing()
    {
        var clock = new HybridLogicalClock(TimeProvider.System);
        var perThread = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            var list = new HybridTimestamp[10_000];
            for (var i = 0; i < list.Length; i++)
            {
                list[i] = clock.Next();
            }

            return list;
        })));
        foreach (var list in perThread)
        {
            for (var i = 1; i < list.Length; i++)
            {
                Assert.True(list[i] > list[i - 1]);
            }
        }

        Assert.Equal(40_000, perThread.SelectMany(l => l).Distinct().Count());
    }

    [Theory]
    [InlineData(1, 0, 2, 0, -1)]
    [InlineData(2, 0, 1, 9, 1)]
    [InlineData(1, 1, 1, 2, -1)]
    [InlineData(1, 2, 1, 2, 0)]
    public void HybridTimestamp_CompareTo_OrdersByTimeThenCounter(long t1, uint c1, long t2, uint c2, int expected)
    {
        Assert.Equal(expected, Math.Sign(new HybridTimestamp(t1, c1).CompareTo(new HybridTimestamp(t2, c2))));
    }
}

/// <summary>A clock that can go backwards, as NTP corrections make real clocks do (FakeTimeProvider refuses to).</summary>
internal sealed class SettableTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
