namespace HydrateCache;

/// <summary>
/// Invalidate-only mode of a channel (<see cref="HydrateChannelOptions{T}.Invalidation"/>): upserts of values too large
/// or too sensitive to broadcast are sent as invalidations, which carry the key and the new version only. Receivers drop
/// their copy, remember the version, and <see cref="ILocalHydratedCache{T}.GetOrLoadAsync"/> loads the value from the
/// channel's <see cref="HydrateChannelOptions{T}.Source"/> on the next read, once per key however many readers wait.
/// </summary>
/// <remarks>
/// The publisher's own local cache (<see cref="HydrateChannelOptions{T}.LocalCache"/>) gets the value itself. Receivers
/// need a source: without one, an invalidated key reads as missing until a later upsert carries a value. Every
/// upsert sent as an invalidation is counted in <see cref="HydrateChannelStatistics.Invalidations"/>.
/// </remarks>
public sealed class HydrateInvalidationOptions
{
    /// <summary>Gets or sets when upserts are broadcast as invalidations.</summary>
    /// <value>Defaults to <see cref="HydrateInvalidationMode.Never"/>.</value>
    public HydrateInvalidationMode Mode { get; set; } = HydrateInvalidationMode.Never;

    /// <summary>
    /// Gets or sets the largest encoded value, in bytes, that an upsert broadcasts in <see cref="HydrateInvalidationMode.AboveSize"/>
    /// mode; a larger one is broadcast as an invalidation.
    /// </summary>
    /// <value>Defaults to 64 KiB. Must not be negative.</value>
    public int MaxBroadcastPayloadBytes { get; set; } = 64 * 1024;
}
