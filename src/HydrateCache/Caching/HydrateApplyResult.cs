namespace HydrateCache;

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

    /// <summary>
    /// The update was a newer invalidation (<see cref="MessageKind.Invalidate"/>): the value was dropped and the version
    /// remembered; <see cref="ILocalHydratedCache{T}.GetOrLoadAsync"/> loads the value from the source on the next read.
    /// </summary>
    Invalidated,
}
