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

    /// <summary>Gets the number of live (present, not expired) entries. Counting walks the cache: O(n).</summary>
    int Count { get; }

    /// <summary>Gets a snapshot-free enumeration of the keys with live values; it reflects concurrent updates as they happen.</summary>
    IEnumerable<string> Keys { get; }

    /// <summary>
    /// Raised after an update changed what a reader sees: a value was added or replaced, or a visible value was removed
    /// (deleted, or replaced by an update that arrived already expired). Not raised for stale or duplicate updates.
    /// </summary>
    /// <remarks>Handlers run synchronously on the thread that applied the update; keep them short. Exceptions are logged and swallowed.</remarks>
    event EventHandler<HydratedCacheChangedEventArgs<T>>? Changed;
}

/// <summary>A live cache entry with the metadata of the write that produced it.</summary>
/// <typeparam name="T">The type of the cached values.</typeparam>
/// <param name="Value">The value.</param>
/// <param name="Version">The version of the write.</param>
/// <param name="SenderId">The id of the channel instance that published the write.</param>
/// <param name="Ttl">The lifetime of the value, or <see langword="null"/> when it does not expire.</param>
public readonly record struct HydratedEntry<T>(T Value, HybridTimestamp Version, Guid SenderId, Ttl? Ttl);

/// <summary>Describes a change of a local hydrated cache.</summary>
/// <typeparam name="T">The type of the cached values.</typeparam>
public sealed class HydratedCacheChangedEventArgs<T> : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="HydratedCacheChangedEventArgs{T}"/> class.</summary>
    /// <param name="key">The changed key.</param>
    /// <param name="result">What the update did.</param>
    /// <param name="value">The new value; default when the key was removed.</param>
    /// <param name="version">The version of the update.</param>
    public HydratedCacheChangedEventArgs(string key, HydrateApplyResult result, T? value, HybridTimestamp version)
    {
        Key = key;
        Result = result;
        Value = value;
        Version = version;
    }

    /// <summary>Gets the changed key.</summary>
    public string Key { get; }

    /// <summary>Gets what the update did: <see cref="HydrateApplyResult.Applied"/>, <see cref="HydrateApplyResult.Removed"/> or <see cref="HydrateApplyResult.Expired"/>.</summary>
    public HydrateApplyResult Result { get; }

    /// <summary>Gets the new value; default when the key was removed.</summary>
    public T? Value { get; }

    /// <summary>Gets the version of the update.</summary>
    public HybridTimestamp Version { get; }
}

/// <summary>What applying an update did to a local cache.</summary>
public enum HydrateApplyResult
{
    /// <summary>The value was added or replaced.</summary>
    Applied,

    /// <summary>The key was deleted; a tombstone records the version.</summary>
    Removed,

    /// <summary>The update was newer but had already expired on arrival: the key is absent and a tombstone records the version.</summary>
    Expired,

    /// <summary>The cache already holds a newer version; the update was ignored.</summary>
    Stale,

    /// <summary>The cache already holds this exact version (an echo or a redelivery); the update was ignored.</summary>
    Duplicate,
}
