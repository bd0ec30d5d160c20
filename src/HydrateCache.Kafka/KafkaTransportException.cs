namespace HydrateCache.Kafka;

/// <summary>
/// Thrown by a <see cref="KafkaTransport"/> when Kafka rejects or cannot complete an operation: a publish the broker
/// did not acknowledge within <see cref="KafkaTransportOptions.DeliveryTimeout"/>, a subscription whose topic metadata
/// could not be read, an authorization failure. <see cref="HydrateCacheException.IsTransient"/> tells whether retrying may succeed.
/// </summary>
public sealed class KafkaTransportException : HydrateCacheException
{
    /// <summary>Initializes a new instance of the <see cref="KafkaTransportException"/> class.</summary>
    public KafkaTransportException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="KafkaTransportException"/> class with a message.</summary>
    /// <param name="message">The message that describes the error.</param>
    public KafkaTransportException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="KafkaTransportException"/> class with a message and the exception that caused it.</summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public KafkaTransportException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="KafkaTransportException"/> class with a message, the exception
    /// that caused it and whether retrying may succeed.</summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    /// <param name="isTransient">Whether retrying may succeed.</param>
    /// <remarks>The transport passes <see langword="true"/> for errors that usually pass (brokers unreachable, timeouts,
    /// leader changes) and <see langword="false"/> for configuration, authorization and size errors.</remarks>
    public KafkaTransportException(string message, Exception? innerException, bool isTransient)
        : base(message, innerException, isTransient)
    {
    }
}
