using HydrateCache.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Channel;

[TestSuite("BVT"), TestProvider("None"), TestArea("Ttl")]
public class TtlTests
{
    [Fact]
    public void GetRemaining_BeforeDuringAfter_CountsDownToZero()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var ttl = Ttl.FromNow(TimeSpan.FromSeconds(30), time);
        Assert.Equal(TimeSpan.FromSeconds(30), ttl.GetRemaining(time));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(20), ttl.GetRemaining(time));
        Assert.False(ttl.IsExpired(time));
        time.Advance(TimeSpan.FromSeconds(25));
        Assert.Equal(TimeSpan.Zero, ttl.GetRemaining(time));
        Assert.True(ttl.IsExpired(time));
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 30, TimeSpan.Zero), ttl.ExpiresAt);
    }
}
