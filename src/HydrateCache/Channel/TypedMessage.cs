namespace HydrateCache;

/// <summary>A decoded cache update: what happened to which key, at which version, from which sender.</summary>
/// <typeparam name="T">The type of the cached values.</typeparam>
public sealed class TypedMessage<T>
{
    /// <summary>Initializes a new instance of the <see cref="TypedMessage{T}"/> class.</summary>
    /// <param name="key">The cache key.</param>
    /// <param name="kind">Whether the message upserts, deletes or invalidates the key.</param>
    /// <param name="payload">The new value for an upsert; ignored (stored as default) for a delete or an invalidation.</param>
    /// <param name="ttl">The lifetime of the value, or <see langword="null"/> when it does not expire.</param>
    /// <param name="version">The hybrid logical clock timestamp of the write.</param>
    /// <param name="senderId">The id of the channel instance that published the message.</param>
    /// <param name="sequence">The sender's sequence number on this channel, starting at 1.</param>
    public TypedMessage(string key, MessageKind kind, T? payload, Ttl? ttl, HybridTimestamp version, Guid senderId, ulong sequence)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (kind is not (MessageKind.Upsert or MessageKind.Delete or MessageKind.Invalidate))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown message kind.");
        }

        Key = key;
        Kind = kind;
        Payload = kind == MessageKind.Upsert ? payload : default;
        Ttl = kind == MessageKind.Upsert ? ttl : null;
        Version = version;
        SenderId = senderId;
        Sequence = sequence;
    }

    /// <summary>Gets the cache key.</summary>
    public string Key { get; }

    /// <summary>Gets the new value; <see langword="default"/> for a delete or an invalidation.</summary>
    public T? Payload { get; }

    /// <summary>Gets whether the message upserts, deletes or invalidates the key.</summary>
    public MessageKind Kind { get; }

    /// <summary>Gets the lifetime of the value, or <see langword="null"/> when it does not expire (always null for a delete or an invalidation).</summary>
    public Ttl? Ttl { get; }

    /// <summary>Gets the version of the write. Together with <see cref="SenderId"/> it totally orders writes of a key.</summary>
    public HybridTimestamp Version { get; }

    /// <summary>Gets the id of the channel instance that published the message.</summary>
    public Guid SenderId { get; }

    /// <summary>Gets the sender's sequence number on this channel: 1 for its first message, increasing by one per message.</summary>
    public ulong Sequence { get; }

    /// <summary>Compares the versions of two messages (timestamp first, then sender id as the tie-break).</summary>
    /// <param name="other">The message to compare with.</param>
    /// <returns>Less than zero when this message is older, zero when it is the same write, greater when it is newer.</returns>
    public int CompareVersion(TypedMessage<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return VersionOrder.Compare(Version, SenderId, other.Version, other.SenderId);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Kind} v{Version} from {SenderId:N}#{Sequence}";
}

/// <summary>The total order of writes: hybrid timestamp, then sender id.</summary>
internal static class VersionOrder
{
    public static int Compare(HybridTimestamp leftVersion, Guid leftSender, HybridTimestamp rightVersion, Guid rightSender)
    {
        var byVersion = leftVersion.CompareTo(rightVersion);
        return byVersion != 0 ? byVersion : leftSender.CompareTo(rightSender);
    }
}
