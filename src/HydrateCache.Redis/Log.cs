using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace HydrateCache.Redis;

/// <summary>Every log message of the Redis transport. Payloads are never logged.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = RedisEventIds.ConnectionLost, EventName = nameof(RedisEventIds.ConnectionLost), Level = LogLevel.Warning,
        Message = "Redis transport lost its {ConnectionType} connection to {EndPoint} ({FailureType}); messages published until it is back are not received by its subscriptions")]
    public static partial void ConnectionLost(this ILogger logger, Exception? exception, ConnectionType connectionType, string endPoint, ConnectionFailureType failureType);

    [LoggerMessage(EventId = RedisEventIds.ConnectionRestored, EventName = nameof(RedisEventIds.ConnectionRestored), Level = LogLevel.Information,
        Message = "Redis transport is connected again and its {SubscriptionCount} subscriptions are re-established")]
    public static partial void ConnectionRestored(this ILogger logger, int subscriptionCount);

    [LoggerMessage(EventId = RedisEventIds.HandlerFailed, EventName = nameof(RedisEventIds.HandlerFailed), Level = LogLevel.Error,
        Message = "A handler of Redis channel '{Channel}' threw; the message is skipped and the subscription continues")]
    public static partial void HandlerFailed(this ILogger logger, Exception exception, string channel);

    [LoggerMessage(EventId = RedisEventIds.MessagesDropped, EventName = nameof(RedisEventIds.MessagesDropped), Level = LogLevel.Warning,
        Message = "The subscription to Redis channel '{Channel}' dropped {Dropped} messages because its handler fell {Capacity} messages behind (MaxPendingMessages)")]
    public static partial void MessagesDropped(this ILogger logger, string channel, long dropped, int capacity);

    [LoggerMessage(EventId = RedisEventIds.Subscribed, EventName = nameof(RedisEventIds.Subscribed), Level = LogLevel.Debug,
        Message = "Subscribed to Redis channel '{Channel}'")]
    public static partial void Subscribed(this ILogger logger, string channel);

    [LoggerMessage(EventId = RedisEventIds.Unsubscribed, EventName = nameof(RedisEventIds.Unsubscribed), Level = LogLevel.Debug,
        Message = "Unsubscribed from Redis channel '{Channel}'")]
    public static partial void Unsubscribed(this ILogger logger, string channel);

    [LoggerMessage(EventId = RedisEventIds.SubscribeFailed, EventName = nameof(RedisEventIds.SubscribeFailed), Level = LogLevel.Error,
        Message = "Subscribing to Redis channel '{Channel}' failed")]
    public static partial void SubscribeFailed(this ILogger logger, Exception exception, string channel);

    [LoggerMessage(EventId = RedisEventIds.UnsubscribeFailed, EventName = nameof(RedisEventIds.UnsubscribeFailed), Level = LogLevel.Warning,
        Message = "Unsubscribing from Redis channel '{Channel}' on the server failed; the subscription is stopped locally")]
    public static partial void UnsubscribeFailed(this ILogger logger, Exception exception, string channel);

    [LoggerMessage(EventId = RedisEventIds.ConnectionChangedHandlerFailed, EventName = nameof(RedisEventIds.ConnectionChangedHandlerFailed), Level = LogLevel.Error,
        Message = "A ConnectionChanged handler of the Redis transport threw (IsConnected = {IsConnected})")]
    public static partial void ConnectionChangedHandlerFailed(this ILogger logger, Exception exception, bool isConnected);

    [LoggerMessage(EventId = RedisEventIds.ReconnectedWithoutFailureReport, EventName = nameof(RedisEventIds.ReconnectedWithoutFailureReport), Level = LogLevel.Warning,
        Message = "Redis transport's {ConnectionType} connection to {EndPoint} was re-established without its failure being reported first; messages published while it was down were not received")]
    public static partial void ReconnectedWithoutFailureReport(this ILogger logger, ConnectionType connectionType, string endPoint);

    [LoggerMessage(EventId = RedisEventIds.PublishFailed, EventName = nameof(RedisEventIds.PublishFailed), Level = LogLevel.Debug,
        Message = "Publishing to Redis channel '{Channel}' failed")]
    public static partial void PublishFailed(this ILogger logger, Exception exception, string channel);
}
