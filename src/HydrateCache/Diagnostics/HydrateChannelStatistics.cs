namespace HydrateCache;

/// <summary>Live counters of one channel instance. Thread-safe; values only grow.</summary>
/// <remarks>The same numbers are exported as metrics on the <see cref="HydrateCacheDiagnostics.MeterName"/> meter, tagged with the channel name.</remarks>
public sealed class HydrateChannelStatistics
{
    private readonly long[] _dropped = new long[Enum.GetValues<HydrateDropReason>().Length];
    private long _invalidations;
    private long _keyLoads;
    private long _published;
    private long _received;
    private long _handlerFailures;
    private long _applied;
    private long _stale;
    private long _duplicates;
    private long _repaired;
    private long _recovered;
    private long _loaded;
    private long _unrecovered;
    private long _retransmitted;
    private long _retransmitRequests;
    private long _heartbeatsSent;
    private long _controlBytesSent;
    private long _gaps;

    /// <summary>Gets the number of messages this channel instance published.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Gets the number of frames received from the transport, including the ones dropped after receipt (not the ones the transport lost).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Gets the number of delivered messages whose handler threw.</summary>
    public long HandlerFailures => Interlocked.Read(ref _handlerFailures);

    /// <summary>Gets the number of received updates that changed a cache (added, replaced, removed, or expired on arrival).</summary>
    public long Applied => Interlocked.Read(ref _applied);

    /// <summary>Gets the number of received updates ignored because the cache already held a newer version of the key.</summary>
    public long Stale => Interlocked.Read(ref _stale);

    /// <summary>Gets the number of received updates ignored because the cache already held that exact version (echoes, redeliveries).</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>
    /// Gets the number of entries repaired from another copy of the cache (a peer silo's, at warm start, after a
    /// reconnect or a loss, or by anti-entropy) that changed this copy: updates the transport never delivered here.
    /// </summary>
    public long Repaired => Interlocked.Read(ref _repaired);

    /// <summary>
    /// Gets the number of messages this instance noticed missing (a sequence number skipped, or a heartbeat announced
    /// more) that arrived afterwards: retransmitted on request, or late from a transport that reorders.
    /// </summary>
    public long Recovered => Interlocked.Read(ref _recovered);

    /// <summary>
    /// Gets the number of missed messages this instance gave up on: their sender no longer held them or did not answer.
    /// Each raised <see cref="HydrateChannel{T}.LossDetected"/>; the Orleans integration repairs them from peer silos.
    /// </summary>
    public long Unrecovered => Interlocked.Read(ref _unrecovered);

    /// <summary>
    /// Gets the number of messages of other senders this instance found missing: gaps in a sender's sequence numbers, or
    /// a tail its heartbeat announced. Each one is counted once, when noticed; those that arrive later are counted in
    /// <see cref="Recovered"/>, those given up in <see cref="Unrecovered"/>.
    /// </summary>
    public long Gaps => Interlocked.Read(ref _gaps);

    /// <summary>Gets the number of messages this instance published again because a receiver asked for them.</summary>
    public long Retransmitted => Interlocked.Read(ref _retransmitted);

    /// <summary>Gets the number of retransmission requests (NAKs) this instance sent.</summary>
    public long RetransmitRequests => Interlocked.Read(ref _retransmitRequests);

    /// <summary>Gets the number of heartbeats this instance sent.</summary>
    public long HeartbeatsSent => Interlocked.Read(ref _heartbeatsSent);

    /// <summary>Gets the bytes of control messages (heartbeats, requests, replies) this instance sent; retransmitted updates are not included.</summary>
    public long ControlBytesSent => Interlocked.Read(ref _controlBytesSent);

    /// <summary>Gets the number of entries loaded from the channel's <see cref="IHydrationSource{T}"/> that changed the cache.</summary>
    public long Loaded => Interlocked.Read(ref _loaded);

    /// <summary>Gets the number of received frames dropped for any reason.</summary>
    public long Dropped
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _dropped.Length; i++)
            {
                total += Interlocked.Read(ref _dropped[i]);
            }

            return total;
        }
    }

    /// <summary>Gets the number of received frames dropped for <paramref name="reason"/>.</summary>
    /// <param name="reason">The drop reason.</param>
    /// <returns>The count.</returns>
    public long GetDropped(HydrateDropReason reason) => Interlocked.Read(ref _dropped[(int)reason]);

    /// <summary>Gets the instruments the counters are exported to; none for statistics created without a channel.</summary>
    internal HydrateCacheMetrics? Metrics { get; init; }

    internal void OnPublished()
    {
        Interlocked.Increment(ref _published);
        Metrics?.OnPublished();
    }

    internal void OnApplied(HydrateApplyResult result)
    {
        switch (result)
        {
            case HydrateApplyResult.Stale:
                Interlocked.Increment(ref _stale);
                break;
            case HydrateApplyResult.Duplicate:
                Interlocked.Increment(ref _duplicates);
                break;
            default:
                Interlocked.Increment(ref _applied);
                break;
        }

        Metrics?.OnApplied(result);
    }

    internal void OnRepaired()
    {
        Interlocked.Increment(ref _repaired);
        Metrics?.OnRepaired();
    }

    internal void OnLoaded(long count)
    {
        Interlocked.Add(ref _loaded, count);
        Metrics?.OnLoaded(count);
    }

    internal void OnGaps(long count)
    {
        Interlocked.Add(ref _gaps, count);
        Metrics?.OnGaps(count);
    }

    internal void OnRecovered(long count)
    {
        Interlocked.Add(ref _recovered, count);
        Metrics?.OnRecovered(count);
    }

    internal void OnUnrecovered(long count)
    {
        Interlocked.Add(ref _unrecovered, count);
        Metrics?.OnUnrecovered(count);
    }

    internal void OnRetransmitted()
    {
        Interlocked.Increment(ref _retransmitted);
        Metrics?.OnRetransmitted();
    }

    internal void OnRetransmitRequested()
    {
        Interlocked.Increment(ref _retransmitRequests);
        Metrics?.OnRetransmitRequested();
    }

    internal void OnHeartbeatSent()
    {
        Interlocked.Increment(ref _heartbeatsSent);
        Metrics?.OnHeartbeatSent();
    }

    internal void OnControlSent(int bytes)
    {
        Interlocked.Add(ref _controlBytesSent, bytes);
        Metrics?.OnControlSent(bytes);
    }

    internal void OnReceived()
    {
        Interlocked.Increment(ref _received);
        Metrics?.OnReceived();
    }

    internal void OnHandlerFailed()
    {
        Interlocked.Increment(ref _handlerFailures);
        Metrics?.OnHandlerFailed();
    }

    internal void OnDropped(HydrateDropReason reason, long count = 1)
    {
        Interlocked.Add(ref _dropped[(int)reason], count);
        Metrics?.OnDropped(reason, count);
    }

    /// <summary>
    /// Gets the number of upserts this instance published as invalidations (key and version only) instead of their value
    /// (<see cref="HydrateChannelOptions{T}.Invalidation"/>); they are also counted in <see cref="Published"/>.
    /// </summary>
    public long Invalidations => Interlocked.Read(ref _invalidations);

    /// <summary>
    /// Gets the number of single keys this instance's local cache loaded from the channel's source
    /// (<see cref="ILocalHydratedCache{T}.GetOrLoadAsync"/> of an invalidated key): one per key and invalidation, however
    /// many readers waited for it.
    /// </summary>
    public long KeyLoads => Interlocked.Read(ref _keyLoads);

    internal void OnInvalidationSent()
    {
        Interlocked.Increment(ref _invalidations);
        Metrics?.OnInvalidationSent();
    }

    internal void OnKeyLoaded() => Interlocked.Increment(ref _keyLoads);
}
