namespace HydrateCache;

/// <summary>
/// The bounds of one subscription's buffer (the only queue between a transport's socket and the handler), by message
/// count and by bytes, and what happens when it is full.
/// </summary>
public sealed class SubscriptionBufferOptions
{
    /// <summary>Gets or sets the most messages the buffer holds.</summary>
    /// <value>Defaults to 65,536.</value>
    public int MaxMessages { get; set; } = 65_536;

    /// <summary>Gets or sets the most message bytes the buffer holds.</summary>
    /// <value>Defaults to 64 MiB. A single message larger than this is still accepted into an empty buffer, so the memory
    /// a subscription holds is bounded by the larger of this and the transport's largest message.</value>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Gets or sets what happens to a new message when the buffer is full.</summary>
    /// <value>Defaults to <see cref="TransportOverflowPolicy.DropOldest"/>.</value>
    public TransportOverflowPolicy OverflowPolicy { get; set; } = TransportOverflowPolicy.DropOldest;

    /// <summary>Gets or sets the minimum time between two log messages about lost messages of one subscription.</summary>
    /// <value>Defaults to 10 seconds. Every loss is counted and reported in band regardless.</value>
    public TimeSpan LossLogInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Creates a copy of these options.</summary>
    /// <returns>The copy.</returns>
    public SubscriptionBufferOptions Clone() => (SubscriptionBufferOptions)MemberwiseClone();

    /// <summary>Throws when an option is out of its domain.</summary>
    /// <param name="owner">What the options belong to, for the message (for example "RedisTransportOptions.SubscriptionBuffer").</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate(string owner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessages, 1, owner + ".MaxMessages");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBytes, 1, owner + ".MaxBytes");
        if (!Enum.IsDefined(OverflowPolicy))
        {
            throw new ArgumentOutOfRangeException(owner + ".OverflowPolicy", OverflowPolicy, "Unknown overflow policy.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(LossLogInterval, TimeSpan.Zero, owner + ".LossLogInterval");
    }
}
