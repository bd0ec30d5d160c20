using Microsoft.Extensions.Logging;

namespace HydrateCache;

/// <summary>Options of a <see cref="LocalHydratedCache{T}"/>.</summary>
public sealed class LocalHydratedCacheOptions
{
    /// <summary>Gets or sets the name used in logs, usually the channel name.</summary>
    /// <value>Defaults to "default".</value>
    public string Name { get; set; } = "default";

    /// <summary>
    /// Gets or sets how long a deleted or expired key remembers its version, so that a late, older upsert cannot resurrect it.
    /// </summary>
    /// <value>Defaults to 10 minutes. Must be greater than zero.</value>
    /// <remarks>
    /// Keep it well above the longest delay a message can have in your transport and the time a repair from another copy
    /// takes. When tombstones are forgotten, the cache remembers the highest version among them (its
    /// <see cref="LocalHydratedCache{T}.TombstoneHorizon"/>) and refuses updates not newer than that for keys it does
    /// not hold, so a late upsert cannot resurrect a forgotten key; a key written before that horizon and never seen by
    /// this cache is refused as well.
    /// </remarks>
    public TimeSpan TombstoneRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets how often expired entries release their values and old tombstones are removed.</summary>
    /// <value>Defaults to 30 seconds. Reads never return expired values, whatever the interval; <see cref="TimeSpan.Zero"/> or
    /// <see cref="Timeout.InfiniteTimeSpan"/> disables the timer (call <see cref="LocalHydratedCache{T}.Sweep"/> yourself).</value>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets whether the cache is warm (complete as far as anyone can tell) from the start. A cache that is loaded
    /// after creation (from a peer or a source) starts cold and is marked warm with <see cref="LocalHydratedCache{T}.MarkWarm"/>.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>. The Orleans integration creates silo caches cold and warms them from a peer.</value>
    public bool StartsWarm { get; set; } = true;

    /// <summary>Gets or sets the clock used for expiry and tombstone retention.</summary>
    /// <value>Defaults to <see cref="TimeProvider.System"/>.</value>
    /// <remarks>
    /// With <see cref="TimeProvider.System"/>, reads (<see cref="LocalHydratedCache{T}.TryGet"/>,
    /// <see cref="LocalHydratedCache{T}.TryGetEntry"/>) check a TTL against a deadline on the coarse monotonic clock
    /// (<see cref="Environment.TickCount64"/>) taken when the update was applied, so a hit costs no wall-clock read: an
    /// entry stops being returned up to about 32 ms before it expires, never after. A step of the wall clock does not
    /// move that deadline; the sweep still expires entries by the wall clock. Any other provider is read on every hit.
    /// </remarks>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets the logger factory.</summary>
    /// <value>Defaults to none (no logging).</value>
    public ILoggerFactory? LoggerFactory { get; set; }
}
