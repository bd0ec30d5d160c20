namespace HydrateCache;

/// <summary>What a message does to the cached entry of its key. The numeric values are the wire values.</summary>
public enum MessageKind
{
    /// <summary>Insert or replace the value of the key.</summary>
    Upsert = 1,

    /// <summary>Remove the key; a tombstone keeps older upserts from resurrecting it.</summary>
    Delete = 2,

    /// <summary>
    /// Announce a new version of the key without its value (invalidate-only mode, see
    /// <see cref="HydrateChannelOptions{T}.Invalidation"/>): receivers drop their copy, remember the version, and load the
    /// value from the channel's <see cref="IHydrationSource{T}"/> on the next read.
    /// </summary>
    Invalidate = 3,
}
