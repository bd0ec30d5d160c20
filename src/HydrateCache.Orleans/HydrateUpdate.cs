namespace HydrateCache.Orleans;

/// <summary>
/// An update of one cache key on the Orleans stream API of a HydrateCache stream provider. Publishers send it for
/// updates a plain value cannot express (a TTL, a delete; <c>stream.OnNextAsync(value)</c> with a plain
/// <typeparamref name="T"/> is an upsert without TTL); grains that subscribe to a channel receive every update as one,
/// with its <see cref="Version"/> and <see cref="SenderId"/>.
/// </summary>
/// <typeparam name="T">The type of the cached values.</typeparam>
/// <remarks>
/// The stream namespace is the channel name and the stream key is the cache key:
/// <c>provider.GetStream&lt;HydrateUpdate&lt;Price&gt;&gt;("prices", "AAPL").OnNextAsync(HydrateUpdate&lt;Price&gt;.Delete())</c>.
/// </remarks>
[GenerateSerializer, Immutable, Alias("hc.HydrateUpdate`1")]
public sealed class HydrateUpdate<T>
{
    private HydrateUpdate(MessageKind kind, T? value, Ttl? ttl)
    {
        Kind = kind;
        Value = value;
        TtlStart = ttl?.Start;
        TtlDuration = ttl?.Duration;
    }

    private HydrateUpdate(TypedMessage<T> message)
        : this(message.Kind, message.Payload, message.Ttl)
    {
        VersionPhysicalTime = message.Version.PhysicalTime;
        VersionCounter = message.Version.Counter;
        SenderId = message.SenderId;
    }

    /// <summary>
    /// Gets whether the update upserts or deletes the key; a received update may also be an invalidation
    /// (<see cref="MessageKind.Invalidate"/>, no <see cref="Value"/>: read it with <see cref="ILocalHydratedCache{T}.GetOrLoadAsync"/>).
    /// </summary>
    [Id(0)]
    public MessageKind Kind { get; }

    /// <summary>Gets the new value of an upsert.</summary>
    [Id(1)]
    public T? Value { get; }

    /// <summary>Gets the start of the value's lifetime, when it has one.</summary>
    [Id(2)]
    public DateTimeOffset? TtlStart { get; }

    /// <summary>Gets the duration of the value's lifetime, when it has one.</summary>
    [Id(3)]
    public TimeSpan? TtlDuration { get; }

    /// <summary>Gets the physical part of <see cref="Version"/>, when the update was received.</summary>
    [Id(4)]
    public long? VersionPhysicalTime { get; }

    /// <summary>Gets the counter part of <see cref="Version"/>, when the update was received.</summary>
    [Id(5)]
    public uint VersionCounter { get; }

    /// <summary>Gets the id of the channel instance that published the update, when it was received; <see cref="Guid.Empty"/> otherwise.</summary>
    [Id(6)]
    public Guid SenderId { get; }

    /// <summary>
    /// Gets the version of a received update (with <see cref="SenderId"/> it totally orders the writes of a key), or
    /// <see langword="null"/> on an update created to be published (the channel stamps it when it sends).
    /// </summary>
    public HybridTimestamp? Version => VersionPhysicalTime is { } physical ? new HybridTimestamp(physical, VersionCounter) : null;

    /// <summary>Gets the value's lifetime, or <see langword="null"/> when it does not expire.</summary>
    public Ttl? Ttl => TtlStart is { } start && TtlDuration is { } duration ? new Ttl(start, duration) : null;

    /// <summary>Creates an upsert.</summary>
    /// <param name="value">The new value.</param>
    /// <param name="ttl">The lifetime of the value; <see langword="null"/> when it does not expire.</param>
    /// <returns>The update.</returns>
    public static HydrateUpdate<T> Upsert(T value, Ttl? ttl = null) => new(MessageKind.Upsert, value, ttl);

    /// <summary>Creates the stream event of a received update.</summary>
    /// <param name="message">The received update.</param>
    /// <returns>The update, with its version and sender.</returns>
    internal static HydrateUpdate<T> Received(TypedMessage<T> message) => new(message);

    /// <summary>Creates a delete.</summary>
    /// <returns>The update.</returns>
    public static HydrateUpdate<T> Delete() => new(MessageKind.Delete, default, null);
}
