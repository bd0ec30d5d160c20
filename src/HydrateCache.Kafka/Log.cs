using Microsoft.Extensions.Logging;

namespace HydrateCache.Kafka;

/// <summary>The Kafka transport's log messages. Never logs payloads or cache keys.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = KafkaEventIds.ClientError, EventName = nameof(KafkaEventIds.ClientError), Level = LogLevel.Warning,
        Message = "Kafka {Client} reported {ErrorCode}: {Reason}")]
    public static partial void ClientError(this ILogger logger, string client, string errorCode, string reason);

    [LoggerMessage(EventId = KafkaEventIds.Disconnected, EventName = nameof(KafkaEventIds.Disconnected), Level = LogLevel.Warning,
        Message = "Kafka transport lost its connection to the brokers ({ErrorCode}: {Reason}); librdkafka reconnects by itself")]
    public static partial void Disconnected(this ILogger logger, string errorCode, string reason);

    [LoggerMessage(EventId = KafkaEventIds.Reconnected, EventName = nameof(KafkaEventIds.Reconnected), Level = LogLevel.Information,
        Message = "Kafka transport reached the brokers again; {SubscriptionCount} subscription(s) resumed")]
    public static partial void Reconnected(this ILogger logger, int subscriptionCount);

    [LoggerMessage(EventId = KafkaEventIds.HandlerFailed, EventName = nameof(KafkaEventIds.HandlerFailed), Level = LogLevel.Error,
        Message = "A handler of Kafka topic '{Topic}' threw; the subscription continues")]
    public static partial void HandlerFailed(this ILogger logger, Exception exception, string topic);

    [LoggerMessage(EventId = KafkaEventIds.Subscribed, EventName = nameof(KafkaEventIds.Subscribed), Level = LogLevel.Debug,
        Message = "Subscribed to topic '{Topic}' (Kafka topic '{KafkaTopic}', {PartitionCount} partitions, from their end)")]
    public static partial void Subscribed(this ILogger logger, string topic, string kafkaTopic, int partitionCount);

    [LoggerMessage(EventId = KafkaEventIds.Unsubscribed, EventName = nameof(KafkaEventIds.Unsubscribed), Level = LogLevel.Debug,
        Message = "Unsubscribed from topic '{Topic}' (Kafka topic '{KafkaTopic}')")]
    public static partial void Unsubscribed(this ILogger logger, string topic, string kafkaTopic);

    [LoggerMessage(EventId = KafkaEventIds.ConsumeFailed, EventName = nameof(KafkaEventIds.ConsumeFailed), Level = LogLevel.Warning,
        Message = "Consuming Kafka topic '{KafkaTopic}' failed ({ErrorCode}: {Reason}); the consumer retries")]
    public static partial void ConsumeFailed(this ILogger logger, string kafkaTopic, string errorCode, string reason);

    [LoggerMessage(EventId = KafkaEventIds.PublishDropped, EventName = nameof(KafkaEventIds.PublishDropped), Level = LogLevel.Warning,
        Message = "A message to Kafka topic '{KafkaTopic}' whose publish was no longer awaited was not delivered ({ErrorCode}: {Reason})")]
    public static partial void PublishDropped(this ILogger logger, string kafkaTopic, string errorCode, string reason);

    [LoggerMessage(EventId = KafkaEventIds.PartitionsAdded, EventName = nameof(KafkaEventIds.PartitionsAdded), Level = LogLevel.Information,
        Message = "Kafka topic '{KafkaTopic}' now has {PartitionCount} partitions; the subscription to '{Topic}' reads the new ones from their beginning")]
    public static partial void PartitionsAdded(this ILogger logger, string kafkaTopic, int partitionCount, string topic);

    [LoggerMessage(EventId = KafkaEventIds.FatalError, EventName = nameof(KafkaEventIds.FatalError), Level = LogLevel.Critical,
        Message = "Kafka {Client} reported a fatal error {ErrorCode}: {Reason}; it cannot be used any more, recreate the transport")]
    public static partial void FatalError(this ILogger logger, string client, string errorCode, string reason);

    [LoggerMessage(EventId = KafkaEventIds.UndeliveredOnDispose, EventName = nameof(KafkaEventIds.UndeliveredOnDispose), Level = LogLevel.Warning,
        Message = "{Count} message(s) were still queued in the Kafka producer when the transport was disposed; they are dropped")]
    public static partial void UndeliveredOnDispose(this ILogger logger, int count);

    [LoggerMessage(EventId = KafkaEventIds.PartitionDiscoveryFailed, EventName = nameof(KafkaEventIds.PartitionDiscoveryFailed), Level = LogLevel.Debug,
        Message = "Checking Kafka topic '{KafkaTopic}' for new partitions failed; retried at the next interval")]
    public static partial void PartitionDiscoveryFailed(this ILogger logger, Exception exception, string kafkaTopic);

    [LoggerMessage(EventId = KafkaEventIds.ClientLog, EventName = nameof(KafkaEventIds.ClientLog),
        Message = "librdkafka {Client} [{Facility}]: {Text}")]
    public static partial void ClientLog(this ILogger logger, LogLevel level, string client, string facility, string text);

    [LoggerMessage(EventId = KafkaEventIds.SubscriptionFailed, EventName = nameof(KafkaEventIds.SubscriptionFailed), Level = LogLevel.Error,
        Message = "The subscription to topic '{Topic}' (Kafka topic '{KafkaTopic}') stopped after an unrecoverable consumer error; subscribe again")]
    public static partial void SubscriptionFailed(this ILogger logger, Exception exception, string topic, string kafkaTopic);

    [LoggerMessage(EventId = KafkaEventIds.ConnectionHandlerFailed, EventName = nameof(KafkaEventIds.ConnectionHandlerFailed), Level = LogLevel.Error,
        Message = "A ConnectionChanged handler of the Kafka transport threw")]
    public static partial void ConnectionHandlerFailed(this ILogger logger, Exception exception);
}
