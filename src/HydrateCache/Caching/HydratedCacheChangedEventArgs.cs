namespace HydrateCache;

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

    /// <summary>Gets what the update did: <see cref="HydrateApplyResult.Applied"/>, <see cref="HydrateApplyResult.Removed"/>, <see cref="HydrateApplyResult.Expired"/> or <see cref="HydrateApplyResult.Invalidated"/>.</summary>
    public HydrateApplyResult Result { get; }

    /// <summary>Gets the new value; default when the key was removed or invalidated.</summary>
    public T? Value { get; }

    /// <summary>Gets the version of the update.</summary>
    public HybridTimestamp Version { get; }
}
