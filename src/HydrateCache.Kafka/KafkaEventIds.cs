namespace HydrateCache.Kafka;

/// <summary>The event ids of the Kafka transport's log messages (the 8xxx range of <see cref="HydrateEventId"/>).</summary>
internal static class KafkaEventIds
{
    /// <summary>A Kafka client (producer or a subscription's consumer) reported an error.</summary>
    public const int ClientError = HydrateEventId.KafkaClientError;

    /// <summary>The transport lost its connection to the brokers.</summary>
    public const int Disconnected = HydrateEventId.KafkaDisconnected;

    /// <summary>The transport reached the brokers again and every subscription resumed.</summary>
    public const int Reconnected = HydrateEventId.KafkaReconnected;

    /// <summary>A subscription handler threw; the subscription continues.</summary>
    public const int HandlerFailed = HydrateEventId.KafkaHandlerFailed;

    /// <summary>A subscription was established.</summary>
    public const int Subscribed = HydrateEventId.KafkaSubscribed;

    /// <summary>A subscription was disposed.</summary>
    public const int Unsubscribed = HydrateEventId.KafkaUnsubscribed;

    /// <summary>Consuming a topic failed; the consumer retries by itself.</summary>
    public const int ConsumeFailed = HydrateEventId.KafkaConsumeFailed;

    /// <summary>A message whose publish was no longer awaited (cancelled wait, disposed transport) was not delivered.</summary>
    public const int PublishDropped = HydrateEventId.KafkaPublishDropped;

    /// <summary>A subscribed topic gained partitions; the subscription now reads them too.</summary>
    public const int PartitionsAdded = HydrateEventId.KafkaPartitionsAdded;

    /// <summary>A Kafka client reported a fatal error; it cannot be used any more.</summary>
    public const int FatalError = HydrateEventId.KafkaFatalError;

    /// <summary>Messages were still queued in the producer when the transport was disposed.</summary>
    public const int UndeliveredOnDispose = HydrateEventId.KafkaUndeliveredOnDispose;

    /// <summary>Checking a subscribed topic for new partitions failed; retried at the next interval.</summary>
    public const int PartitionDiscoveryFailed = HydrateEventId.KafkaPartitionDiscoveryFailed;

    /// <summary>A log line of librdkafka itself.</summary>
    public const int ClientLog = HydrateEventId.KafkaClientLog;

    /// <summary>A handler of <see cref="KafkaTransport.ConnectionChanged"/> threw.</summary>
    public const int ConnectionHandlerFailed = HydrateEventId.KafkaConnectionHandlerFailed;

    /// <summary>A subscription's consumer failed unrecoverably; the subscription stopped.</summary>
    public const int SubscriptionFailed = HydrateEventId.KafkaSubscriptionFailed;
}
