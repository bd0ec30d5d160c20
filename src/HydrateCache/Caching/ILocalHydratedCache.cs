using System.Diagnostics.CodeAnalysis;

namespace HydrateCache;

/// <summary>
/// A process-local (in Orleans: silo-local) read view of a hydrated channel. Reads are lock-free memory lookups that
/// never make a network or grain call and allocate nothing on a hit.
/// </summary>
/// <typeparam name="T">The type of the cached values.</typeparam>
public interface ILocalHydratedCache<T>
{
    /// <summary>Gets the value of <paramref name="key"/> when it is present and not expired.</summary>
    /// <param name="key">The cache key.</param>
    /// <param name="value">The value, when found.</param>
    /// <returns><see langword="true"/> when the key has a live value.</returns>
    bool TryGet(string key, [MaybeNullWhen(false)] out T value);

    /// <summary>Gets the value of <paramref name="key"/> with its version and lifetime, when it is present and not expired.</summary>
    /// <param name="key">The cache key.</param>
    /// <param name="entry">The entry, when found.</param>
    /// <returns><see langword="true"/> when the key has a live value.</returns>
    bool TryGetEntry(string key, out HydratedEntry<T> entry);

    /// <summary>
    /// Gets the value of <paramref name="key"/> with its version and lifetime, loading it from the channel's
    /// <see cref="IHydrationSource{T}"/> when an invalidation (<see cref="MessageKind.Invalidate"/>) dropped it: one load
    /// per key however many readers wait, stored with the invalidation's version.
    /// </summary>
    /// <param name="key">The cache key.</param>
    /// <param name="cancellationToken">Stops waiting (a shared load goes on for the other readers).</param>
    /// <returns>The entry, or <see langword="null"/> when the key has no live value (deleted, expired, unknown, or not in the source).</returns>
    /// <remarks>A live value is returned synchronously, without allocating. Without a source this reads like <see cref="TryGetEntry"/>.
    /// A failed load is not cached: every reader waiting for it gets its exception, and the next read loads again.</remarks>
    ValueTask<HydratedEntry<T>?> GetOrLoadAsync(string key, CancellationToken cancellationToken = default) =>
        new(TryGetEntry(key, out var entry) ? entry : null);

    /// <summary>Gets the number of live (present, not expired) entries. Counting walks the cache: O(n).</summary>
    int Count { get; }

    /// <summary>Gets a snapshot-free enumeration of the keys with live values; it reflects concurrent updates as they happen.</summary>
    IEnumerable<string> Keys { get; }

    /// <summary>
    /// Gets a value indicating whether the cache is warm: it has loaded what the rest of the system held when it started
    /// (on a silo: from a peer silo), so a miss means the key is unknown, not that the cache is still loading.
    /// </summary>
    bool IsWarm { get; }

    /// <summary>Waits until the cache is warm (see <see cref="IsWarm"/>).</summary>
    /// <param name="cancellationToken">A token to stop waiting.</param>
    /// <returns>A task that completes when the cache is warm.</returns>
    Task WhenWarmAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Raised after an update changed what a reader sees: a value was added or replaced, or a visible value was removed
    /// (deleted, invalidated, or replaced by an update that arrived already expired). Not raised for stale or duplicate updates.
    /// </summary>
    /// <remarks>
    /// <para>Per key, events are raised one at a time and in version order, also when updates of the key are applied
    /// concurrently (the value loaded for an invalidation is raised with the invalidation's version, after it).</para>
    /// <para>Handlers run synchronously on a thread that applied an update: usually the one that applied this event's,
    /// but while one thread raises events, the events of updates other threads apply to keys of the same stripe (a hash
    /// of the key) are queued and raised by it, in order. Keep handlers short: a queue that handlers do not keep up with
    /// grows. No lock is held while they run, so they may read the cache and apply updates (raised after they return).
    /// Exceptions are logged and swallowed.</para>
    /// </remarks>
    event EventHandler<HydratedCacheChangedEventArgs<T>>? Changed;
}
