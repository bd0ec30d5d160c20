namespace HydrateCache;

/// <summary>
/// Issues strictly increasing <see cref="HybridTimestamp"/>s and folds in timestamps seen from other senders, so a write
/// that follows (causally) a received one always gets a greater version, even when the local wall clock lags.
/// </summary>
/// <remarks>
/// <para>The clock never overflows, wraps or throws. It refuses to observe a timestamp whose physical part is beyond
/// <see cref="MaxPhysicalTime"/> (the last millisecond a <see cref="DateTimeOffset"/> can represent, far beyond any wall
/// clock), so a corrupt or hostile version such as <see cref="long.MaxValue"/> cannot push it out of range. A counter at
/// <see cref="uint.MaxValue"/> borrows the next millisecond instead of wrapping. Should the clock ever stand at
/// <see cref="MaxPhysicalTime"/> with its counter exhausted, it saturates: <see cref="Next"/> keeps returning that greatest
/// timestamp (no longer strictly increasing) rather than wrap to a smaller one.</para>
/// <para>Bounding how far ahead of the local wall clock an observed timestamp may be is the caller's job:
/// <see cref="HydrateChannel{T}"/> drops such frames (<see cref="HydrateDropReason.ClockSkew"/>) before they reach the clock.</para>
/// </remarks>
internal sealed class HybridLogicalClock(TimeProvider timeProvider)
{
    /// <summary>The greatest physical time the clock issues or observes: 9999-12-31T23:59:59.999Z in Unix milliseconds.</summary>
    public static readonly long MaxPhysicalTime = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    private readonly Lock _lock = new();
    private long _physical;
    private uint _counter;

    /// <summary>
    /// Returns a timestamp greater than every timestamp this clock issued or observed (or, once saturated, the greatest
    /// timestamp again).
    /// </summary>
    public HybridTimestamp Next()
    {
        var wall = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            if (wall > _physical)
            {
                _physical = wall;
                _counter = 0;
            }
            else if (_counter < uint.MaxValue)
            {
                _counter++;
            }
            else if (_physical < MaxPhysicalTime)
            {
                // 4 billion events in one millisecond: borrow the next millisecond rather than wrap.
                _physical++;
                _counter = 0;
            }

            // Otherwise saturated at (MaxPhysicalTime, uint.MaxValue): repeat it rather than wrap.
            return new HybridTimestamp(_physical, _counter);
        }
    }

    /// <summary>Gets the greatest timestamp this clock issued or observed.</summary>
    public HybridTimestamp Current
    {
        get
        {
            lock (_lock)
            {
                return new HybridTimestamp(_physical, _counter);
            }
        }
    }

    /// <summary>Makes sure the next issued timestamp is greater than <paramref name="seen"/>.</summary>
    /// <param name="seen">A timestamp received from another sender.</param>
    /// <returns><see langword="false"/> when <paramref name="seen"/> was refused because its physical part is beyond
    /// <see cref="MaxPhysicalTime"/>; the clock is then unchanged.</returns>
    public bool Observe(HybridTimestamp seen)
    {
        if (seen.PhysicalTime > MaxPhysicalTime)
        {
            return false;
        }

        lock (_lock)
        {
            if (seen.PhysicalTime > _physical || (seen.PhysicalTime == _physical && seen.Counter > _counter))
            {
                _physical = seen.PhysicalTime;
                _counter = seen.Counter;
            }
        }

        return true;
    }
}
