namespace Orleans.Configuration;

/// <summary>Options of HydrateCache on a silo or client, bound from the "HydrateCache" configuration section when asked.</summary>
public sealed class HydrateCacheOptions
{
    /// <summary>The configuration section <see cref="Hosting.HydrateCacheBuilder.BindConfiguration(string)"/> binds by default.</summary>
    public const string DefaultSectionName = "HydrateCache";

    /// <summary>Gets or sets how long a deleted or expired key remembers its version, so a late, older upsert cannot resurrect it.</summary>
    /// <value>Defaults to 10 minutes; must be greater than zero. After it, the cache's tombstone horizon keeps refusing
    /// older updates of forgotten keys (see <see cref="HydrateCache.LocalHydratedCache{T}.TombstoneHorizon"/>).</value>
    public TimeSpan TombstoneRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets how often each silo-local cache releases expired values and forgets old tombstones.</summary>
    /// <value>Defaults to 30 seconds. Reads never see expired values, whatever the interval.</value>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the most updates one delivery to a silo's worker grain carries.</summary>
    /// <value>Defaults to 256. While the worker applies a batch, the next one collects up to this many updates per
    /// channel; beyond that the transport subscription's own buffer (bounded by bytes and count) holds them.</value>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>
    /// Gets or sets the most frame bytes a silo holds per transport between the transport subscription's buffer and the
    /// worker grains' apply: frames waiting for the pulling agent's next read plus frames in the agent's queue cache that
    /// a worker has not applied yet. When it is reached the subscription's handler waits, so the subscription buffer
    /// (<see cref="HydrateCache.SubscriptionBufferOptions"/>, bounded by bytes) fills and its overflow policy applies:
    /// every drop is counted and reported in band (<see cref="HydrateCache.HydrateDropReason.TransportLoss"/>), and
    /// repaired from the senders and peer silos.
    /// </summary>
    /// <value>Defaults to 16 MiB. A single frame larger than this is still admitted when nothing else is held.</value>
    public long MaxInFlightBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Gets or sets the largest frame, in bytes, a channel publishes or accepts.</summary>
    /// <value>Defaults to 1 MiB.</value>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Gets or sets a prefix for every channel's transport topic, for example to separate environments on one broker.</summary>
    /// <value>Defaults to none.</value>
    public string? TopicPrefix { get; set; }

    /// <summary>
    /// Gets or sets how long a starting silo holds its <c>Active</c> stage while it loads every channel's cache from a
    /// peer silo (warm start). When it runs out, the silo becomes active with the caches still loading, logs it
    /// (event 4006), and <see cref="HydrateCache.ILocalHydratedCache{T}.IsWarm"/> tells which are ready.
    /// </summary>
    /// <value>Defaults to 30 seconds. <see cref="TimeSpan.Zero"/> never holds the silo: caches warm in the background.</value>
    public TimeSpan WarmStartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how often each silo compares every channel's cache with a random peer silo's (per-bucket digests of
    /// key and version) and repairs the buckets that differ: anti-entropy, for losses nobody noticed.
    /// </summary>
    /// <value>Defaults to 30 seconds. <see cref="TimeSpan.Zero"/> disables the periodic rounds (repairs after a reconnect
    /// or a reported loss still run).</value>
    public TimeSpan AntiEntropyInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how many entries one page of a peer's cache carries during a warm start or a repair.</summary>
    /// <value>Defaults to 1,000.</value>
    public int RepairPageSize { get; set; } = 1000;

    /// <summary>
    /// Gets or sets how far ahead of the silo's clock the version of a received or repaired update may be; an update
    /// further ahead is dropped and counted as <see cref="HydrateCache.HydrateDropReason.ClockSkew"/>. Flows into every
    /// channel's <see cref="HydrateCache.HydrateChannelOptions{T}.MaxClockSkew"/> (a channel's own configuration may override it).
    /// </summary>
    /// <value>Defaults to 1 minute. <see cref="Timeout.InfiniteTimeSpan"/> disables the check; any other value must be positive.</value>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(1);
}
