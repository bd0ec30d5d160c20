using Microsoft.Extensions.Logging;

namespace HydrateCache.Postgres;

/// <summary>Every log message of the PostgreSQL transport. Payloads are never logged.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = HydrateEventId.PostgresListenerConnected, EventName = nameof(HydrateEventId.PostgresListenerConnected), Level = LogLevel.Debug,
        Message = "PostgreSQL transport opened its listening connection (backend {ProcessId}) and listens on {ChannelCount} channels")]
    public static partial void ListenerConnected(this ILogger logger, int processId, int channelCount);

    [LoggerMessage(EventId = HydrateEventId.PostgresListenerDisconnected, EventName = nameof(HydrateEventId.PostgresListenerDisconnected), Level = LogLevel.Warning,
        Message = "PostgreSQL transport lost its listening connection; notifications sent on its {ChannelCount} channels until it is back are lost. Reconnecting")]
    public static partial void ListenerDisconnected(this ILogger logger, Exception exception, int channelCount);

    [LoggerMessage(EventId = HydrateEventId.PostgresListenerReconnected, EventName = nameof(HydrateEventId.PostgresListenerReconnected), Level = LogLevel.Information,
        Message = "PostgreSQL transport reconnected its listening connection (backend {ProcessId}) after {Attempts} failed attempts and listens again on {ChannelCount} channels")]
    public static partial void ListenerReconnected(this ILogger logger, int processId, int attempts, int channelCount);

    [LoggerMessage(EventId = HydrateEventId.PostgresListenerConnectFailed, EventName = nameof(HydrateEventId.PostgresListenerConnectFailed), Level = LogLevel.Warning,
        Message = "PostgreSQL transport could not open its listening connection (attempt {Attempt}); retrying in {Delay}")]
    public static partial void ListenerConnectFailed(this ILogger logger, Exception exception, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = HydrateEventId.PostgresListenerClosed, EventName = nameof(HydrateEventId.PostgresListenerClosed), Level = LogLevel.Debug,
        Message = "PostgreSQL transport closed its listening connection: {Reason}")]
    public static partial void ListenerClosed(this ILogger logger, string reason);

    [LoggerMessage(EventId = HydrateEventId.PostgresNotificationRejected, EventName = nameof(HydrateEventId.PostgresNotificationRejected), Level = LogLevel.Warning,
        Message = "PostgreSQL transport dropped a notification of {Length} characters on channel '{Channel}' that is not in its payload format (sent by something else?)")]
    public static partial void NotificationRejected(this ILogger logger, string channel, int length);

    [LoggerMessage(EventId = HydrateEventId.PostgresLargePayloadMissing, EventName = nameof(HydrateEventId.PostgresLargePayloadMissing), Level = LogLevel.Warning,
        Message = "PostgreSQL transport dropped large message {RowId} on channel '{Channel}': its row is gone from {Table} (older than the retention of {Retention}?)")]
    public static partial void LargePayloadMissing(this ILogger logger, long rowId, string channel, string table, TimeSpan retention);

    [LoggerMessage(EventId = HydrateEventId.PostgresLargePayloadFetchFailed, EventName = nameof(HydrateEventId.PostgresLargePayloadFetchFailed), Level = LogLevel.Warning,
        Message = "PostgreSQL transport dropped large message {RowId} on channel '{Channel}': reading it from {Table} failed")]
    public static partial void LargePayloadFetchFailed(this ILogger logger, Exception exception, long rowId, string channel, string table);

    [LoggerMessage(EventId = HydrateEventId.PostgresPayloadTableCreated, EventName = nameof(HydrateEventId.PostgresPayloadTableCreated), Level = LogLevel.Debug,
        Message = "PostgreSQL transport ensured the payload table {Table} exists")]
    public static partial void PayloadTableCreated(this ILogger logger, string table);

    [LoggerMessage(EventId = HydrateEventId.PostgresPayloadCleanupFailed, EventName = nameof(HydrateEventId.PostgresPayloadCleanupFailed), Level = LogLevel.Warning,
        Message = "PostgreSQL transport could not delete expired rows from {Table}; it retries later")]
    public static partial void PayloadCleanupFailed(this ILogger logger, Exception exception, string table);

    [LoggerMessage(EventId = HydrateEventId.PostgresPayloadCleanupCompleted, EventName = nameof(HydrateEventId.PostgresPayloadCleanupCompleted), Level = LogLevel.Trace,
        Message = "PostgreSQL transport deleted {Count} expired rows from {Table}")]
    public static partial void PayloadCleanupCompleted(this ILogger logger, int count, string table);

    [LoggerMessage(EventId = HydrateEventId.PostgresConnectionChangedHandlerFailed, EventName = nameof(HydrateEventId.PostgresConnectionChangedHandlerFailed), Level = LogLevel.Error,
        Message = "A ConnectionChanged handler of the PostgreSQL transport threw (IsConnected = {IsConnected})")]
    public static partial void ConnectionChangedHandlerFailed(this ILogger logger, Exception exception, bool isConnected);

    [LoggerMessage(EventId = HydrateEventId.PostgresPublishRetried, EventName = nameof(HydrateEventId.PostgresPublishRetried), Level = LogLevel.Debug,
        Message = "Publishing to PostgreSQL channel '{Channel}' failed with a transient error (a broken pooled connection?); retrying once")]
    public static partial void PublishRetried(this ILogger logger, Exception exception, string channel);

    [LoggerMessage(EventId = HydrateEventId.PostgresSubscribed, EventName = nameof(HydrateEventId.PostgresSubscribed), Level = LogLevel.Debug,
        Message = "Subscribed to PostgreSQL topic '{Topic}' (channel '{Channel}')")]
    public static partial void Subscribed(this ILogger logger, string topic, string channel);

    [LoggerMessage(EventId = HydrateEventId.PostgresUnsubscribed, EventName = nameof(HydrateEventId.PostgresUnsubscribed), Level = LogLevel.Debug,
        Message = "Unsubscribed from PostgreSQL topic '{Topic}' (channel '{Channel}')")]
    public static partial void Unsubscribed(this ILogger logger, string topic, string channel);
}
