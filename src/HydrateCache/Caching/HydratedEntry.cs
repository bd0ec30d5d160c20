namespace HydrateCache;

/// <summary>A live cache entry with the metadata of the write that produced it.</summary>
/// <typeparam name="T">The type of the cached values.</typeparam>
/// <param name="Value">The value.</param>
/// <param name="Version">The version of the write.</param>
/// <param name="SenderId">The id of the channel instance that published the write.</param>
/// <param name="Ttl">The lifetime of the value, or <see langword="null"/> when it does not expire.</param>
public readonly record struct HydratedEntry<T>(T Value, HybridTimestamp Version, Guid SenderId, Ttl? Ttl);
