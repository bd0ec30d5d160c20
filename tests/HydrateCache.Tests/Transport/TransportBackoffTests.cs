using HydrateCache.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Transport;

[TestSuite("BVT"), TestProvider("None"), TestArea("Transport")]
public class TransportBackoffTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static TransportBackoffOptions Options(int initialMs = 100, int maxMs = 30_000) =>
        new() { InitialDelay = TimeSpan.FromMilliseconds(initialMs), MaxDelay = TimeSpan.FromMilliseconds(maxMs) };

    [Fact]
    public void NextDelay_FullJitter_DoublesFromInitialUpToTheCap()
    {
        var backoff = new TransportBackoff(Options(), TimeProvider.System, () => 1.0);

        var delays = Enumerable.Range(0, 12).Select(_ => (int)backoff.NextDelay().TotalMilliseconds).ToArray();

        Assert.Equal([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000], delays);
        Assert.Equal(12, backoff.Failures);
    }

    [Fact]
    public void NextDelay_NoJitter_WaitsHalfTheStep()
    {
        var backoff = new TransportBackoff(Options(), TimeProvider.System, () => 0.0);

        var delays = Enumerable.Range(0, 3).Select(_ => (int)backoff.NextDelay().TotalMilliseconds).ToArray();

        Assert.Equal([50, 100, 200], delays);
    }

    [Fact]
    public void NextDelay_DefaultJitter_StaysBetweenHalfAndAllOfTheStep()
    {
        var backoff = new TransportBackoff(Options(initialMs: 1000, maxMs: 1000));

        var delays = Enumerable.Range(0, 200).Select(_ => backoff.NextDelay()).ToArray();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(1000)));
        Assert.True(delays.Distinct().Count() > 1, "the delays are jittered");
    }

    [Fact]
    public void NextDelay_ManyFailures_NeverOverflows()
    {
        var backoff = new TransportBackoff(Options(initialMs: 100, maxMs: 86_400_000), TimeProvider.System, () => 1.0);

        TimeSpan last = default;
        for (var i = 0; i < 10_000; i++)
        {
            last = backoff.NextDelay();
        }

        Assert.Equal(TimeSpan.FromDays(1), last);
    }

    [Fact]
    public void Reset_AfterFailures_StartsOverAtTheInitialDelay()
    {
        var backoff = new TransportBackoff(Options(), TimeProvider.System, () => 1.0);
        backoff.NextDelay();
        backoff.NextDelay();

        backoff.Reset();

        Assert.Equal(0, backoff.Failures);
        Assert.Equal(TimeSpan.FromMilliseconds(100), backoff.NextDelay());
    }

    [Fact]
    public async Task RetryAsync_FailsTwice_WaitsEachDelayOnTheClockThenReturnsAndResets()
    {
        var time = new FakeTimeProvider();
        var backoff = new TransportBackoff(Options(), time, () => 1.0);
        var attempts = 0;
        var failures = new List<(int Failures, TimeSpan Delay)>();

        var retrying = backoff.RetryAsync(
            _ => ++attempts <= 2 ? throw new InvalidOperationException("down") : ValueTask.FromResult(attempts),
            (ex, count, delay) =>
            {
                Assert.IsType<InvalidOperationException>(ex);
                failures.Add((count, delay));
                return true;
            },
            Token).AsTask();

        Assert.Equal(1, attempts);
        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Equal(1, attempts);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await Eventually.TrueAsync(() => Volatile.Read(ref attempts) == 2, "the second attempt ran after 100 ms");
        time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.Equal(2, Volatile.Read(ref attempts));
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(3, await retrying.WaitAsync(TimeSpan.FromSeconds(10), Token));
        Assert.Equal([(1, TimeSpan.FromMilliseconds(100)), (2, TimeSpan.FromMilliseconds(200))], failures);
        Assert.Equal(0, backoff.Failures);
    }

    [Fact]
    public async Task RetryAsync_OnFailureSaysStop_RethrowsTheFailure()
    {
        var backoff = new TransportBackoff(Options(), new FakeTimeProvider(), () => 1.0);
        var attempts = 0;

        var ex = await Assert.ThrowsAsync<ObjectDisposedException>(async () => await backoff.RetryAsync<int>(
            _ => { attempts++; throw new ObjectDisposedException("connection"); },
            (e, _, _) => e is not ObjectDisposedException,
            Token));

        Assert.Equal("connection", ex.ObjectName);
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task RetryAsync_CancelledDuringDelay_ThrowsOperationCanceled()
    {
        var time = new FakeTimeProvider();
        var backoff = new TransportBackoff(Options(), time, () => 1.0);
        using var cancel = new CancellationTokenSource();
        var attempts = 0;

        var retrying = backoff.RetryAsync<int>(_ => { attempts++; throw new InvalidOperationException("down"); }, (_, _, _) => true, cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => retrying);
        Assert.Equal(1, attempts);
    }

    [Theory]
    [InlineData(0, 1000)]
    [InlineData(-1, 1000)]
    [InlineData(200, 100)]
    [InlineData(100, 86_400_001)]
    public void Constructor_OptionsOutOfRange_Throws(int initialMs, int maxMs)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TransportBackoff(Options(initialMs, maxMs)));
    }

    [Fact]
    public void Options_Defaults_Are100MillisecondsAnd30Seconds()
    {
        var options = new TransportBackoffOptions();

        Assert.Equal(TimeSpan.FromMilliseconds(100), options.InitialDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.MaxDelay);
    }
}
