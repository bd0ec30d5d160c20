namespace HydrateCache;

/// <summary>
/// The totals of a transport's subscription pumps, past and present: the <see cref="TransportSubscriptionPump.LostCount"/>
/// and <see cref="TransportSubscriptionPump.HandlerFailures"/> of every tracked pump, live ones read when asked, retired
/// ones folded in. A transport author tracks each subscription's pump when it is created and retires it when it is
/// disposed, and reports these totals as the transport's drop and handler-failure counts.
/// </summary>
/// <remarks>
/// <para><b>Threads.</b> Every member is thread-safe. The totals are read under one lock with <see cref="Retire"/>, so a
/// pump being retired is counted exactly once.</para>
/// <para><b>Final counts.</b> A pump's counters can still change after its <see cref="TransportSubscriptionPump.DisposeAsync"/>
/// returned when the handler disposed its own subscription (disposal then does not wait for the handler, which may still
/// throw). <see cref="Retire"/> therefore keeps reading a retired pump until its delivery loop has ended, and only then
/// folds its final counts in and forgets it.</para>
/// </remarks>
public sealed class TransportPumpTotals
{
    private readonly Lock _lock = new();

    /// <summary>Live pumps and retired ones whose loop has not ended yet. Guarded by <see cref="_lock"/>.</summary>
    private readonly HashSet<TransportSubscriptionPump> _pumps = new(ReferenceEqualityComparer.Instance);

    /// <summary>Final counts of the forgotten pumps. Guarded by <see cref="_lock"/>.</summary>
    private long _retiredLost;
    private long _retiredHandlerFailures;

    /// <summary>Gets the number of messages lost by every pump tracked so far: the sum of their <see cref="TransportSubscriptionPump.LostCount"/>.</summary>
    public long LostCount => Sum(static pump => pump.LostCount, ref _retiredLost);

    /// <summary>Gets the number of handler calls that threw, over every pump tracked so far: the sum of their <see cref="TransportSubscriptionPump.HandlerFailures"/>.</summary>
    public long HandlerFailures => Sum(static pump => pump.HandlerFailures, ref _retiredHandlerFailures);

    /// <summary>Gets the number of pumps read live: tracked and not retired, or retired while their delivery loop was still running.</summary>
    internal int TrackedCount
    {
        get
        {
            lock (_lock)
            {
                return _pumps.Count;
            }
        }
    }

    /// <summary>Starts counting a pump. Tracking a pump twice has no effect.</summary>
    /// <param name="pump">The pump of a new subscription.</param>
    public void Track(TransportSubscriptionPump pump)
    {
        ArgumentNullException.ThrowIfNull(pump);
        lock (_lock)
        {
            _pumps.Add(pump);
        }
    }

    /// <summary>
    /// Folds the final counts of a disposed pump into the totals and forgets it. When its delivery loop is still finishing
    /// (a handler that disposed its own subscription has not returned yet) the pump stays counted live until the loop ends.
    /// </summary>
    /// <param name="pump">A pump passed to <see cref="Track"/>, after its <see cref="TransportSubscriptionPump.DisposeAsync"/>;
    /// a pump that is not tracked (or already retired) is ignored. Retiring a pump that is not disposed yet only defers
    /// the fold until it is.</param>
    public void Retire(TransportSubscriptionPump pump)
    {
        ArgumentNullException.ThrowIfNull(pump);
        var completion = pump.Completion;
        if (completion.IsCompleted)
        {
            Fold(pump);
            return;
        }

        _ = completion.ContinueWith(
            static (_, state) =>
            {
                var (totals, pump) = ((TransportPumpTotals, TransportSubscriptionPump))state!;
                totals.Fold(pump);
            },
            (this, pump),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void Fold(TransportSubscriptionPump pump)
    {
        lock (_lock)
        {
            if (_pumps.Remove(pump))
            {
                _retiredLost += pump.LostCount;
                _retiredHandlerFailures += pump.HandlerFailures;
            }
        }
    }

    private long Sum(Func<TransportSubscriptionPump, long> counter, ref long retired)
    {
        lock (_lock)
        {
            var total = retired;
            foreach (var pump in _pumps)
            {
                total += counter(pump);
            }

            return total;
        }
    }
}
