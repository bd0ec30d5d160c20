namespace HydrateCache;

/// <summary>One entry loaded by an <see cref="IHydrationSource{T}"/>.</summary>
/// <typeparam name="T">The type of the cached values.</typeparam>
/// <param name="Key">The cache key; not empty.</param>
/// <param name="Value">The value.</param>
/// <param name="Ttl">The value's lifetime, or <see langword="null"/> when it does not expire.</param>
public readonly record struct HydrationEntry<T>(string Key, T Value, Ttl? Ttl = null);
