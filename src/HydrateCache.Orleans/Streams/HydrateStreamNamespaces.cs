namespace HydrateCache.Orleans.Streams;

/// <summary>The stream namespaces HydrateCache's stream providers deliver on.</summary>
internal static class HydrateStreamNamespaces
{
    /// <summary>
    /// The namespace of the per-channel worker streams (stream key = channel name). Only the per-silo worker grain
    /// subscribes to it (implicitly); a channel may not be named like it.
    /// </summary>
    public const string Worker = "HydrateCache.Worker";
}
