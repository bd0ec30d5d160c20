using Microsoft.Extensions.Logging;

namespace HydrateCache.Postgres;

/// <summary>Every log message of the PostgreSQL transport. Payloads are never logged.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = PostgresEventIds.ListenerConnected, EventName = nameof(PostgresEventIds.ListenerConnected), Level = LogLevel.Debug,
        Message = "PostgreSQL transport opened its listening connection (backend {ProcessId}) and listens on {ChannelCount} channels")]
    public static partial void ListenerConnected(this ILogger logger, int processId, int channelCount);

    [LoggerMessage(EventId = PostgresEventIds.ListenerDisconnected, EventName = nameof(PostgresEventIds.ListenerDisconnected), Level = LogLevel.Warning,
        Message = "PostgreSQL transport lost its listening connection; notifications sent on its {ChannelCount} channels until it is back are lost. Reconnecting")]
    public static partial void ListenerDisconnected(this ILogger logger, Exception exception, int channelCount);

    [LoggerMessage(EventId = PostgresEventIds.ListenerReconnected, EventName = nameof(PostgresEventIds.ListenerReconnected), Level = LogLevel.Information,
        Message = "PostgreSQL transport reconnected its listening connection (backend {ProcessId}) after {Attempts} failed attempts and listens again on {ChannelCount} channels")]
    public static partial void ListenerReconnected(this ILogger logger, int processId, int attempts, int channelCount);

    [LoggerMessage(EventId = PostgresEventIds.ListenerConnectFailed, EventName = nameof(PostgresEventIds.ListenerConnectFailed), Level = LogLevel.Warning,
        Message = "PostgreSQL transport could not open its listening connection (attempt {Attempt}); retrying in {Delay}")]
    public static partial void ListenerConnectFailed(this ILogger logger, Exception exception, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = PostgresEventIds.ListenerClosed, EventName = nameof(PostgresEventIds.ListenerClosed), Level = LogLevel.Debug,
        Message = "PostgreSQL transport closed its listening connection: {Reason}")]
    public static partial void ListenerClosed(this ILogger logger, string reason);

    [LoggerMessage(EventId = PostgresEventIds.HandlerFailed, EventName = nameof(PostgresEventIds.HandlerFailed), Level = LogLevel.Error,
        Message = "A handler of PostgreSQL topic '{Topic}' threw; the message is skipped and the subscription continues")]
    public static partial void HandlerFailed(this ILogger logger, Exception exception, string topic);

    [LoggerMessage(EventId = PostgresEventIds.MessagesDropped, EventName = nameof(PostgresEventIds.MessagesDropped), Level = LogLevel.Warning,
        Message = "A subscription of PostgreSQL topic '{Topic}' dropped {Count} messages because its buffer of {Capacity} messages was full (the handler is too slow)")]
    public static partial void MessagesDropped(this ILogger logger, string topic, long count, int capacity);

    [LoggerMessage(EventId = PostgresEventIds.NotificationRejected, EventName = nameof(PostgresEventIds.NotificationRejected), Level = LogLevel.Warning,
        Message = "PostgreSQL transport dropped a notification of {Length} characters on channel '{Channel}' that is not in its payload format (sent by something else?)")]
    public static partial void NotificationRejected(this ILogger logger, string channel, int length);

    [LoggerMessage(EventId = PostgresEventIds.LargePayloadMissing, EventName = nameof(PostgresEventIds.LargePayloadMissing), Level = LogLevel.Warning,
        Message = "PostgreSQL transport dropped large message {RowId} on channel '{Channel}': its row is gone from {Table} (older than the retention of {Retention}?)")]
    public static partial void LargePayloadMissing(this ILogger logger, long rowId, string channel, string table, TimeSpan retention);

    [LoggerMessage(EventId = PostgresEventIds.LargePayloadFetchFailed, EventName = nameof(PostgresEventIds.LargePayloadFetchFailed), Level = LogLevel.Warning,
        Message = "PostgreSQL transport dropped large message {RowId} on channel '{Channel}': reading it from {Table} failed")]
    public static partial void LargePayloadFetchFailed(this ILogger logger, Exception exception, long rowId, string channel, string table);

    [LoggerMessage(EventId = PostgresEventIds.PayloadTableCreated, EventName = nameof(PostgresEventIds.PayloadTableCreated), Level = LogLevel.Debug,
        Message = "PostgreSQL transport ensured the payload table {Table} exists")]
    public static partial void PayloadTableCreated(this ILogger logger, string table);

    [LoggerMessage(EventId = PostgresEventIds.PayloadCleanupFailed, EventName = nameof(PostgresEventIds.PayloadCleanupFailed), Level = LogLevel.Warning,
        Message = "PostgreSQL transport could not delete expired rows from {Table}; it retries later")]
    public static partial void PayloadCleanupFailed(this ILogger logger, Exception exception, string table);

    [LoggerMessage(EventId = PostgresEventIds.PayloadCleanupCompleted, EventName = nameof(PostgresEventIds.PayloadCleanupCompleted), Level = LogLevel.Trace,
        Message = "PostgreSQL transport deleted {Count} expired rows from {Table}")]
    public static partial void PayloadCleanupCompleted(this ILogger logger, int count, string table);

    [LoggerMessage(EventId = PostgresEventIds.ConnectionChangedHandlerFailed, EventName = nameof(PostgresEventIds.ConnectionChangedHandlerFailed), Level = LogLevel.Error,
        Message = "A ConnectionChanged handler of the PostgreSQL transport threw (IsConnected = {IsConnected})")]
    public static partial void ConnectionChangedHandlerFailed(this ILogger logger, Exception exception, bool isConnected);

    [LoggerMessage(EventId = PostgresEventIds.PublishRetried, EventName = nameof(PostgresEventIds.PublishRetried), Level = LogLevel.Debug,
        Message = "Publishing to PostgreSQL channel '{Channel}' failed with a transient error (a broken pooled connection?); retrying once")]
    public static partial void PublishRetried(this ILogger logger, Exception exception, string channel);

    [LoggerMessage(EventId = PostgresEventIds.Subscribed, EventName = nameof(PostgresEventIds.Subscribed), Level = LogLevel.Debug,
        Message = "Subscribed to PostgreSQL topic '{Topic}' (channel '{Channel}')")]
    public static partial void Subscribed(this ILogger logger, string topic, string channel);

    [LoggerMessage(EventId = PostgresEventIds.Unsubscribed, EventName = nameof(PostgresEventIds.Unsubscribed), Level = LogLevel.Debug,
        Message = "Unsubscribed from PostgreSQL topic '{Topic}' (channel '{Channel}')")]
    public static partial void Unsubscribed(this ILogger logger, string topic, string channel);
}
