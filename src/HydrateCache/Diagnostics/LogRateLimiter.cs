namespace HydrateCache;

/// <summary>
/// Lets one log message per slot through per interval, on the injected clock, and counts the ones it holds back, so a
/// flood of bad or lost frames cannot flood the log. The events themselves are always counted elsewhere (statistics,
/// metrics); only their logging is limited. Slot 0 serves callers with a single kind of event.
/// </summary>
internal sealed class LogRateLimiter
{
    private readonly TimeProvider _timeProvider;
    private readonly long _intervalTicks;
    private readonly long[] _nextAllowedTicks;
    private readonly long[] _suppressed;

    public LogRateLimiter(TimeProvider timeProvider, TimeSpan interval, int slots = 1)
    {
        _timeProvider = timeProvider;
        _intervalTicks = interval.Ticks;
        _nextAllowedTicks = new long[slots];
        _suppressed = new long[slots];
    }

    /// <summary>A limiter with one slot per <see cref="HydrateDropReason"/>.</summary>
    public static LogRateLimiter PerDropReason(TimeProvider timeProvider, TimeSpan interval) =>
        new(timeProvider, interval, Enum.GetValues<HydrateDropReason>().Length);

    /// <summary>Returns whether to log now and how many messages of the slot were held back since the last logged one.</summary>
    public bool ShouldLog(int slot, out long suppressed)
    {
        var now = _timeProvider.GetUtcNow().UtcTicks;
        var next = Interlocked.Read(ref _nextAllowedTicks[slot]);
        if (now >= next && Interlocked.CompareExchange(ref _nextAllowedTicks[slot], now + _intervalTicks, next) == next)
        {
            suppressed = Interlocked.Exchange(ref _suppressed[slot], 0);
            return true;
        }

        Interlocked.Increment(ref _suppressed[slot]);
        suppressed = 0;
        return false;
    }

    /// <inheritdoc cref="ShouldLog(int, out long)"/>
    public bool ShouldLog(HydrateDropReason reason, out long suppressed) => ShouldLog((int)reason, out suppressed);
}
