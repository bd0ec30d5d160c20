namespace HydrateCache;

/// <summary>
/// Issues strictly increasing <see cref="HybridTimestamp"/>s and folds in timestamps seen from other senders, so a write
/// that follows (causally) a received one always gets a greater version, even when the local wall clock lags.
/// </summary>
internal sealed class HybridLogicalClock(TimeProvider timeProvider)
{
    private readonly Lock _lock = new();
    private long _physical;
    private uint _counter;

    /// <summary>Returns a timestamp greater than every timestamp this clock issued or observed.</summary>
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
            else if (_counter == uint.MaxValue)
            {
                // 4 billion events in one millisecond: borrow the next millisecond rather than wrap.
                _physical++;
                _counter = 0;
            }
            else
            {
                _counter++;
            }

            return new HybridTimestamp(_physical, _counter);
        }
    }

    /// <summary>Makes sure the next issued timestamp is greater than <paramref name="seen"/>.</summary>
    public void Observe(HybridTimestamp seen)
    {
        lock (_lock)
        {
            if (seen.PhysicalTime > _physical || (seen.PhysicalTime == _physical && seen.Counter > _counter))
            {
                _physical = seen.PhysicalTime;
                _counter = seen.Counter;
            }
        }
    }
}
