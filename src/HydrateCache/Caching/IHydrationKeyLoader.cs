namespace HydrateCache;

/// <summary>
/// What <see cref="LocalHydratedCache{T}.GetOrLoadAsync"/> needs to load one key: the source, and the version a value
/// of a key the cache does not know gets. A <see cref="HydrateChannel{T}"/> with a source attaches one to its cache.
/// </summary>
/// <typeparam name="T">The type of the cached values.</typeparam>
internal interface IHydrationKeyLoader<T>
{
    /// <summary>Gets a value indicating whether a key the cache does not know is loaded too (invalidate-only channels), not only an invalidated one.</summary>
    bool LoadsMissingKeys { get; }

    /// <summary>Takes the version for loading a key the cache does not know: newer than every update seen so far.</summary>
    /// <returns>The version and the sender id to stamp it with.</returns>
    (HybridTimestamp Version, Guid SenderId) NextVersion();

    /// <summary>Loads one key from the source (counted).</summary>
    /// <param name="key">The cache key.</param>
    /// <param name="cancellationToken">Cancelled when the cache is disposed.</param>
    /// <returns>The entry, or <see langword="null"/> when the source has none.</returns>
    ValueTask<HydrationEntry<T>?> LoadAsync(string key, CancellationToken cancellationToken);
}
