namespace HydrateCache;

/// <summary>The metadata of one frame: everything but the payload.</summary>
/// <param name="Kind">Whether the frame upserts or deletes the key.</param>
/// <param name="Key">The cache key.</param>
/// <param name="Version">The version of the write.</param>
/// <param name="SenderId">The id of the publishing channel instance.</param>
/// <param name="Sequence">The sender's sequence number.</param>
/// <param name="Ttl">The lifetime of the value, when it has one.</param>
/// <param name="CodecId">The payload codec id; <see langword="null"/> for a delete.</param>
public readonly record struct HydrateFrameMetadata(
    MessageKind Kind,
    string Key,
    HybridTimestamp Version,
    Guid SenderId,
    ulong Sequence,
    Ttl? Ttl,
    string? CodecId);
