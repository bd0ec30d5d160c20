namespace HydrateCache;

/// <summary>Options of an <see cref="InMemoryTransport"/>.</summary>
public sealed class InMemoryTransportOptions
{
    /// <summary>Gets or sets how many messages may wait for one subscription before publishers wait for it to catch up.</summary>
    /// <value>Defaults to 65,536. The in-memory transport never drops: a full subscription applies backpressure.</value>
    public int SubscriptionCapacity { get; set; } = 65_536;

    /// <summary>Gets or sets the largest message, in bytes, that <see cref="InMemoryTransport.PublishAsync"/> accepts.</summary>
    /// <value>Defaults to 16 MiB. Larger messages fail with <see cref="HydratePayloadTooLargeException"/>.</value>
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Gets or sets the logger factory for handler failures.</summary>
    /// <value>Defaults to none (no logging).</value>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; set; }
}
