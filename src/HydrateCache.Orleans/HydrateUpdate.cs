namespace HydrateCache.Orleans;

/// <summary>
/// An update sent through the Orleans stream API of a HydrateCache stream provider, for updates a plain value cannot
/// express: a TTL or a delete. <c>stream.OnNextAsync(value)</c> with a plain <typeparamref name="T"/> is an upsert without TTL.
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

    /// <summary>Gets whether the update upserts or deletes the key.</summary>
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

    /// <summary>Gets the value's lifetime, or <see langword="null"/> when it does not expire.</summary>
    public Ttl? Ttl => TtlStart is { } start && TtlDuration is { } duration ? new Ttl(start, duration) : null;

    /// <summary>Creates an upsert.</summary>
    /// <param name="value">The new value.</param>
    /// <param name="ttl">The lifetime of the value; <see langword="null"/> when it does not expire.</param>
    /// <returns>The update.</returns>
    public static HydrateUpdate<T> Upsert(T value, Ttl? ttl = null) => new(MessageKind.Upsert, value, ttl);

    /// <summary>Creates a delete.</summary>
    /// <returns>The update.</returns>
    public static HydrateUpdate<T> Delete() => new(MessageKind.Delete, default, null);
}
