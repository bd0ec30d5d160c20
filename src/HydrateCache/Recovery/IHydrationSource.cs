namespace HydrateCache;

/// <summary>
/// Loads a channel's current entries from the system of record (the database the writers write first): the repair of
/// last resort, for a cache that no peer and no sender can repair, such as the first silo of a cluster that restarted
/// whole, or updates every subscriber lost while their sender no longer holds them.
/// </summary>
/// <typeparam name="T">The type of the cached values.</typeparam>
/// <remarks>
/// <para>Entries are applied with one version taken from the channel's clock just before loading starts: newer than every
/// update the channel had seen (the source already reflects those, since writers write it before they publish), older
/// than every update published after (which the load may not reflect). So a load never rolls back a later write, and a
/// later write always wins against the load.</para>
/// <para>A load only adds and replaces entries: a key missing from the source is not removed from the cache. An entry
/// the cache already holds with the same encoded value and TTL is left as it is (its version unchanged).</para>
/// </remarks>
public interface IHydrationSource<T>
{
    /// <summary>Reads every entry of the channel from the system of record.</summary>
    /// <param name="cancellationToken">A token to cancel the load.</param>
    /// <returns>The entries, streamed.</returns>
    IAsyncEnumerable<HydrationEntry<T>> LoadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Reads one entry from the system of record: the value of a key whose update was broadcast as an invalidation
    /// (<see cref="HydrateChannelOptions{T}.Invalidation"/>), on its first read after it
    /// (<see cref="ILocalHydratedCache{T}.GetOrLoadAsync"/>). Called at most once at a time per key and cache.
    /// </summary>
    /// <param name="key">The cache key.</param>
    /// <param name="cancellationToken">A token to cancel the load.</param>
    /// <returns>The entry, or <see langword="null"/> when the system of record has no value for <paramref name="key"/>.</returns>
    /// <remarks>The default implementation reads every entry (<see cref="LoadAsync(CancellationToken)"/>) and keeps the
    /// one of <paramref name="key"/>: implement it with a lookup by key for channels that invalidate.</remarks>
    async ValueTask<HydrationEntry<T>?> LoadAsync(string key, CancellationToken cancellationToken)
    {
        await foreach (var entry in LoadAsync(cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (string.Equals(entry.Key, key, StringComparison.Ordinal))
            {
                return entry;
            }
        }

        return null;
    }
}
