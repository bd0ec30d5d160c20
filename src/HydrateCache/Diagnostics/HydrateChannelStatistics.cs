namespace HydrateCache;

/// <summary>Live counters of one channel instance. Thread-safe; values only grow.</summary>
/// <remarks>The same numbers are exported as metrics by the <c>HydrateCache</c> meter, tagged with the channel name.</remarks>
public sealed class HydrateChannelStatistics
{
    private readonly long[] _dropped = new long[Enum.GetValues<HydrateDropReason>().Length];
    private long _published;
    private long _received;
    private long _handlerFailures;

    /// <summary>Gets the number of messages this channel instance published.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Gets the number of frames received from the transport, including the ones dropped after receipt (not the ones the transport lost).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Gets the number of delivered messages whose handler threw.</summary>
    public long HandlerFailures => Interlocked.Read(ref _handlerFailures);

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

    internal void OnPublished() => Interlocked.Increment(ref _published);

    internal void OnReceived() => Interlocked.Increment(ref _received);

    internal void OnHandlerFailed() => Interlocked.Increment(ref _handlerFailures);

    internal void OnDropped(HydrateDropReason reason, long count = 1) => Interlocked.Add(ref _dropped[(int)reason], count);
}
