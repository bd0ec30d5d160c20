using Microsoft.Extensions.Logging;

namespace HydrateCache.Kafka;

/// <summary>The Kafka transport's log messages. Never logs payloads or cache keys.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = HydrateEventId.KafkaClientError, EventName = nameof(HydrateEventId.KafkaClientError), Level = LogLevel.Warning,
        Message = "Kafka {Client} reported {ErrorCode}: {Reason}")]
    public static partial void ClientError(this ILogger logger, string client, string errorCode, string reason);

    [LoggerMessage(EventId = HydrateEventId.KafkaDisconnected, EventName = nameof(HydrateEventId.KafkaDisconnected), Level = LogLevel.Warning,
        Message = "Kafka transport lost its connection to the brokers ({ErrorCode}: {Reason}); librdkafka reconnects by itself")]
    public static partial void Disconnected(this ILogger logger, string errorCode, string reason);

    [LoggerMessage(EventId = HydrateEventId.KafkaReconnected, EventName = nameof(HydrateEventId.KafkaReconnected), Level = LogLevel.Information,
        Message = "Kafka transport reached the brokers again; {SubscriptionCount} subscription(s) resumed")]
    public static partial void Reconnected(this ILogger logger, int subscriptionCount);

    [LoggerMessage(EventId = HydrateEventId.KafkaSubscribed, EventName = nameof(HydrateEventId.KafkaSubscribed), Level = LogLevel.Debug,
        Message = "Subscribed to topic '{Topic}' (Kafka topic '{KafkaTopic}', {PartitionCount} partitions, from their end)")]
    public static partial void Subscribed(this ILogger logger, string topic, string kafkaTopic, int partitionCount);

    [LoggerMessage(EventId = HydrateEventId.KafkaUnsubscribed, EventName = nameof(HydrateEventId.KafkaUnsubscribed), Level = LogLevel.Debug,
        Message = "Unsubscribed from topic '{Topic}' (Kafka topic '{KafkaTopic}')")]
    public static partial void Unsubscribed(this ILogger logger, string topic, string kafkaTopic);

    [LoggerMessage(EventId = HydrateEventId.KafkaConsumeFailed, EventName = nameof(HydrateEventId.KafkaConsumeFailed), Level = LogLevel.Warning,
        Message = "Consuming Kafka topic '{KafkaTopic}' failed ({ErrorCode}: {Reason}); the consumer retries")]
    public static partial void ConsumeFailed(this ILogger logger, string kafkaTopic, string errorCode, string reason);

    [LoggerMessage(EventId = HydrateEventId.KafkaPublishDropped, EventName = nameof(HydrateEventId.KafkaPublishDropped), Level = LogLevel.Warning,
        Message = "A message to Kafka topic '{KafkaTopic}' whose publish was no longer awaited was not delivered ({ErrorCode}: {Reason})")]
    public static partial void PublishDropped(this ILogger logger, string kafkaTopic, string errorCode, string reason);

    [LoggerMessage(EventId = HydrateEventId.KafkaPartitionsAdded, EventName = nameof(HydrateEventId.KafkaPartitionsAdded), Level = LogLevel.Information,
        Message = "Kafka topic '{KafkaTopic}' now has {PartitionCount} partitions; the subscription to '{Topic}' reads the new ones from their beginning")]
    public static partial void PartitionsAdded(this ILogger logger, string kafkaTopic, int partitionCount, string topic);

    [LoggerMessage(EventId = HydrateEventId.KafkaFatalError, EventName = nameof(HydrateEventId.KafkaFatalError), Level = LogLevel.Critical,
        Message = "Kafka {Client} reported a fatal error {ErrorCode}: {Reason}; it cannot be used any more, recreate the transport")]
    public static partial void FatalError(this ILogger logger, string client, string errorCode, string reason);

    [LoggerMessage(EventId = HydrateEventId.KafkaUndeliveredOnDispose, EventName = nameof(HydrateEventId.KafkaUndeliveredOnDispose), Level = LogLevel.Warning,
        Message = "{Count} message(s) were still queued in the Kafka producer when the transport was disposed; they are dropped")]
    public static partial void UndeliveredOnDispose(this ILogger logger, int count);

    [LoggerMessage(EventId = HydrateEventId.KafkaPartitionDiscoveryFailed, EventName = nameof(HydrateEventId.KafkaPartitionDiscoveryFailed), Level = LogLevel.Debug,
        Message = "Checking Kafka topic '{KafkaTopic}' for new partitions failed; retried at the next interval")]
    public static partial void PartitionDiscoveryFailed(this ILogger logger, Exception exception, string kafkaTopic);

    [LoggerMessage(EventId = HydrateEventId.KafkaClientLog, EventName = nameof(HydrateEventId.KafkaClientLog),
        Message = "librdkafka {Client} [{Facility}]: {Text}")]
    public static partial void ClientLog(this ILogger logger, LogLevel level, string client, string facility, string text);

    [LoggerMessage(EventId = HydrateEventId.KafkaSubscriptionFailed, EventName = nameof(HydrateEventId.KafkaSubscriptionFailed), Level = LogLevel.Error,
        Message = "The consumer of the subscription to topic '{Topic}' (Kafka topic '{KafkaTopic}') failed unrecoverably; a new consumer is created and resumes from its position")]
    public static partial void SubscriptionFailed(this ILogger logger, Exception exception, string topic, string kafkaTopic);

    [LoggerMessage(EventId = HydrateEventId.KafkaConnectionHandlerFailed, EventName = nameof(HydrateEventId.KafkaConnectionHandlerFailed), Level = LogLevel.Error,
        Message = "A ConnectionChanged handler of the Kafka transport threw")]
    public static partial void ConnectionHandlerFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = HydrateEventId.KafkaSubscriptionDown, EventName = nameof(HydrateEventId.KafkaSubscriptionDown), Level = LogLevel.Warning,
        Message = "The subscription to topic '{Topic}' (Kafka topic '{KafkaTopic}') is down while its consumer is re-created")]
    public static partial void SubscriptionDown(this ILogger logger, string topic, string kafkaTopic);

    [LoggerMessage(EventId = HydrateEventId.KafkaRecreateFailed, EventName = nameof(HydrateEventId.KafkaRecreateFailed), Level = LogLevel.Warning,
        Message = "Re-creating the consumer of topic '{Topic}' (Kafka topic '{KafkaTopic}') failed ({Failures} consecutive failures); retrying in {DelayMs} ms")]
    public static partial void RecreateFailed(this ILogger logger, Exception exception, string topic, string kafkaTopic, int failures, long delayMs);

    [LoggerMessage(EventId = HydrateEventId.KafkaRecreated, EventName = nameof(HydrateEventId.KafkaRecreated), Level = LogLevel.Information,
        Message = "The consumer of topic '{Topic}' (Kafka topic '{KafkaTopic}') was re-created and resumed its {PartitionCount} partitions from their positions")]
    public static partial void Recreated(this ILogger logger, string topic, string kafkaTopic, int partitionCount);

    [LoggerMessage(EventId = HydrateEventId.KafkaPositionUnavailable, EventName = nameof(HydrateEventId.KafkaPositionUnavailable), Level = LogLevel.Warning,
        Message = "Partition {Partition} of Kafka topic '{KafkaTopic}' (topic '{Topic}') no longer holds offset {Position}; resuming from its earliest offset {Earliest} ({Lost} messages lost)")]
    public static partial void PositionUnavailable(this ILogger logger, string topic, string kafkaTopic, int partition, long position, long earliest, long lost);
}
