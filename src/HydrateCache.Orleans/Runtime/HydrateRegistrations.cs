namespace HydrateCache.Orleans.Runtime;

/// <summary>What <c>AddHydrateCacheStreams</c> registered on one silo or client: transports and channels, by name.</summary>
internal sealed class HydrateRegistrations
{
    public HashSet<string> Transports { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, ChannelRegistration> Channels { get; } = new(StringComparer.Ordinal);

    /// <summary>The value types that have an unkeyed <see cref="ILocalHydratedCache{T}"/>: the first channel of each type.</summary>
    public HashSet<Type> UnkeyedTypes { get; } = [];
}

/// <summary>One configured channel.</summary>
internal sealed record ChannelRegistration(string Channel, string Transport, Type ValueType);

/// <summary>A transport and whether the silo owns (and so disposes) it.</summary>
internal sealed class TransportHandle(ITransport transport, bool owned) : IAsyncDisposable
{
    public ITransport Transport { get; } = transport;

    public ValueTask DisposeAsync() => owned ? Transport.DisposeAsync() : ValueTask.CompletedTask;
}
