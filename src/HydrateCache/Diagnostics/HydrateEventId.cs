namespace HydrateCache;

/// <summary>
/// The event ids of every log message HydrateCache writes, one range per area, so log filters and alerts can rely on them.
/// </summary>
/// <remarks>1xxx channel, 15xx in-memory transport, 2xxx envelope and codec, 3xxx local cache, 4xxx Orleans integration,
/// 5xxx Redis, 6xxx NATS, 7xxx PostgreSQL, 8xxx Kafka.</remarks>
public static class HydrateEventId
{
    /// <summary>A subscription handler threw; the message is skipped and the subscription continues.</summary>
    public const int ChannelHandlerFailed = 1001;

    /// <summary>A channel subscribed to its topic.</summary>
    public const int ChannelSubscribed = 1002;

    /// <summary>A channel unsubscribed from its topic.</summary>
    public const int ChannelUnsubscribed = 1003;

    /// <summary>A publish failed.</summary>
    public const int ChannelPublishFailed = 1004;

    /// <summary>An in-memory transport subscription handler threw.</summary>
    public const int InMemoryHandlerFailed = 1501;

    /// <summary>A received frame was rejected (malformed, unknown version, too large, ...). Rate limited.</summary>
    public const int EnvelopeRejected = 2001;

    /// <summary>A payload could not be decoded by the channel's codec, or was written by another codec. Rate limited.</summary>
    public const int PayloadRejected = 2002;

    /// <summary>A change notification handler of a local cache threw.</summary>
    public const int CacheChangeHandlerFailed = 3001;

    /// <summary>The local cache swept expired entries and old tombstones.</summary>
    public const int CacheSwept = 3002;

    /// <summary>The Orleans hydration host of a channel started on a silo.</summary>
    public const int OrleansHydrationStarted = 4001;

    /// <summary>The Orleans hydration host of a channel stopped on a silo.</summary>
    public const int OrleansHydrationStopped = 4002;

    /// <summary>Applying a batch of updates through the silo's worker grain failed; it is retried.</summary>
    public const int OrleansApplyFailed = 4003;

    /// <summary>The Orleans hydration host failed to start.</summary>
    public const int OrleansHydrationStartFailed = 4004;

}
