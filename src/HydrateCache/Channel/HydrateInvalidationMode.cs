namespace HydrateCache;

/// <summary>When a channel broadcasts an invalidation (key and version only) instead of an upsert's value.</summary>
public enum HydrateInvalidationMode
{
    /// <summary>Every upsert carries its value.</summary>
    Never,

    /// <summary>
    /// Every upsert is broadcast as an invalidation: for values too sensitive to broadcast. Receivers load every key
    /// they read from the channel's source, also keys they have not seen.
    /// </summary>
    Always,

    /// <summary>
    /// An upsert whose encoded value is larger than <see cref="HydrateInvalidationOptions.MaxBroadcastPayloadBytes"/> is
    /// broadcast as an invalidation; smaller ones carry their value.
    /// </summary>
    AboveSize,
}
