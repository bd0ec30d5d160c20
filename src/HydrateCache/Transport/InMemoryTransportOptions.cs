using Microsoft.Extensions.Logging;

namespace HydrateCache;

/// <summary>Options of an <see cref="InMemoryTransport"/>.</summary>
public sealed class InMemoryTransportOptions
{
    /// <summary>Gets or sets the bounds of each subscription's buffer and what happens when it is full.</summary>
    /// <value>Defaults to 65,536 messages or 64 MiB with <see cref="TransportOverflowPolicy.Wait"/>: the in-memory
    /// transport never drops, a full subscription makes publishers wait. <see cref="TransportOverflowPolicy.DropOldest"/>
    /// simulates a lossy broker in tests.</value>
    public SubscriptionBufferOptions SubscriptionBuffer { get; set; } = new() { OverflowPolicy = TransportOverflowPolicy.Wait };

    /// <summary>Gets or sets the largest message, in bytes, that <see cref="InMemoryTransport.PublishAsync"/> accepts.</summary>
    /// <value>Defaults to 16 MiB. Larger messages fail with <see cref="HydratePayloadTooLargeException"/>.</value>
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Gets or sets the logger factory for handler failures and losses.</summary>
    /// <value>Defaults to none (no logging).</value>
    public ILoggerFactory? LoggerFactory { get; set; }
}
