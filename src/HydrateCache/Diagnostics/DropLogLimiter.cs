namespace HydrateCache;

/// <summary>
/// Lets one drop log message per reason through per interval and counts the ones it holds back, so a flood of bad
/// frames cannot flood the log. Every drop is still counted in the statistics and metrics.
/// </summary>
internal sealed class DropLogLimiter(TimeProvider timeProvider, TimeSpan interval)
{
    private readonly long[] _nextAllowedTicks = new long[Enum.GetValues<HydrateDropReason>().Length];
    private readonly long[] _suppressed = new long[Enum.GetValues<HydrateDropReason>().Length];

    /// <summary>Returns whether to log this drop and how many were suppressed since the last logged one.</summary>
    public bool ShouldLog(HydrateDropReason reason, out long suppressed)
    {
        var index = (int)reason;
        var now = timeProvider.GetUtcNow().UtcTicks;
        var next = Interlocked.Read(ref _nextAllowedTicks[index]);
        if (now >= next && Interlocked.CompareExchange(ref _nextAllowedTicks[index], now + interval.Ticks, next) == next)
        {
            suppressed = Interlocked.Exchange(ref _suppressed[index], 0);
            return true;
        }

        Interlocked.Increment(ref _suppressed[index]);
        suppressed = 0;
        return false;
    }
}
