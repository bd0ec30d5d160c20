using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace HydrateCache.Redis;

/// <summary>Every log message of the Redis transport. Payloads are never logged.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = HydrateEventId.RedisConnectionLost, EventName = nameof(HydrateEventId.RedisConnectionLost), Level = LogLevel.Warning,
        Message = "Redis transport lost its {ConnectionType} connection to {EndPoint} ({FailureType}); messages published until it is back are not received by its subscriptions")]
    public static partial void ConnectionLost(this ILogger logger, Exception? exception, ConnectionType connectionType, string endPoint, ConnectionFailureType failureType);

    [LoggerMessage(EventId = HydrateEventId.RedisConnectionRestored, EventName = nameof(HydrateEventId.RedisConnectionRestored), Level = LogLevel.Information,
        Message = "Redis transport is connected again and its {SubscriptionCount} subscriptions are re-established")]
    public static partial void ConnectionRestored(this ILogger logger, int subscriptionCount);

    [LoggerMessage(EventId = HydrateEventId.RedisSubscribed, EventName = nameof(HydrateEventId.RedisSubscribed), Level = LogLevel.Debug,
        Message = "Subscribed to Redis channel '{Channel}'")]
    public static partial void Subscribed(this ILogger logger, string channel);

    [LoggerMessage(EventId = HydrateEventId.RedisUnsubscribed, EventName = nameof(HydrateEventId.RedisUnsubscribed), Level = LogLevel.Debug,
        Message = "Unsubscribed from Redis channel '{Channel}'")]
    public static partial void Unsubscribed(this ILogger logger, string channel);

    [LoggerMessage(EventId = HydrateEventId.RedisSubscribeFailed, EventName = nameof(HydrateEventId.RedisSubscribeFailed), Level = LogLevel.Error,
        Message = "Subscribing to Redis channel '{Channel}' failed")]
    public static partial void SubscribeFailed(this ILogger logger, Exception exception, string channel);

    [LoggerMessage(EventId = HydrateEventId.RedisUnsubscribeFailed, EventName = nameof(HydrateEventId.RedisUnsubscribeFailed), Level = LogLevel.Warning,
        Message = "Unsubscribing from Redis channel '{Channel}' on the server failed; the subscription is stopped locally")]
    public static partial void UnsubscribeFailed(this ILogger logger, Exception exception, string channel);

    [LoggerMessage(EventId = HydrateEventId.RedisConnectionChangedHandlerFailed, EventName = nameof(HydrateEventId.RedisConnectionChangedHandlerFailed), Level = LogLevel.Error,
        Message = "A ConnectionChanged handler of the Redis transport threw (IsConnected = {IsConnected})")]
    public static partial void ConnectionChangedHandlerFailed(this ILogger logger, Exception exception, bool isConnected);

    [LoggerMessage(EventId = HydrateEventId.RedisReconnectedWithoutFailureReport, EventName = nameof(HydrateEventId.RedisReconnectedWithoutFailureReport), Level = LogLevel.Warning,
        Message = "Redis transport's {ConnectionType} connection to {EndPoint} was re-established without its failure being reported first; messages published while it was down were not received")]
    public static partial void ReconnectedWithoutFailureReport(this ILogger logger, ConnectionType connectionType, string endPoint);

    [LoggerMessage(EventId = HydrateEventId.RedisPublishFailed, EventName = nameof(HydrateEventId.RedisPublishFailed), Level = LogLevel.Debug,
        Message = "Publishing to Redis channel '{Channel}' failed")]
    public static partial void PublishFailed(this ILogger logger, Exception exception, string channel);
}
