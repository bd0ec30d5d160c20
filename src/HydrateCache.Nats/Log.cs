using Microsoft.Extensions.Logging;

namespace HydrateCache.Nats;

/// <summary>Every log message of the NATS transport. Payloads and keys are never logged; topic names are.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = HydrateEventId.NatsConnectionLost, EventName = nameof(HydrateEventId.NatsConnectionLost), Level = LogLevel.Warning,
        Message = "The NATS connection to '{Server}' was lost; NATS.Net reconnects and resubscribes by itself. Messages published meanwhile do not reach the {SubscriptionCount} subscriptions of this transport")]
    public static partial void ConnectionLost(this ILogger logger, string server, int subscriptionCount);

    [LoggerMessage(EventId = HydrateEventId.NatsConnectionRestored, EventName = nameof(HydrateEventId.NatsConnectionRestored), Level = LogLevel.Information,
        Message = "The NATS connection to '{Server}' is back and the {SubscriptionCount} subscriptions of this transport are re-established")]
    public static partial void ConnectionRestored(this ILogger logger, string server, int subscriptionCount);

    [LoggerMessage(EventId = HydrateEventId.NatsReconnectFailed, EventName = nameof(HydrateEventId.NatsReconnectFailed), Level = LogLevel.Debug,
        Message = "Reconnecting to NATS server '{Server}' failed; NATS.Net keeps trying")]
    public static partial void ReconnectFailed(this ILogger logger, string server);

    [LoggerMessage(EventId = HydrateEventId.NatsSlowConsumer, EventName = nameof(HydrateEventId.NatsSlowConsumer), Level = LogLevel.Warning,
        Message = "The subscription of NATS topic '{Topic}' became a slow consumer: NATS.Net's client buffer of {Capacity} messages in front of the transport's read loop is full, and drops its oldest messages (counted as lost)")]
    public static partial void SlowConsumer(this ILogger logger, string topic, int capacity);

    [LoggerMessage(EventId = HydrateEventId.NatsSubscribed, EventName = nameof(HydrateEventId.NatsSubscribed), Level = LogLevel.Debug,
        Message = "Subscribed to NATS subject '{Subject}' for topic '{Topic}'")]
    public static partial void Subscribed(this ILogger logger, string subject, string topic);

    [LoggerMessage(EventId = HydrateEventId.NatsUnsubscribed, EventName = nameof(HydrateEventId.NatsUnsubscribed), Level = LogLevel.Debug,
        Message = "Unsubscribed from NATS topic '{Topic}'; it lost {Lost} messages in total")]
    public static partial void Unsubscribed(this ILogger logger, string topic, long lost);

    [LoggerMessage(EventId = HydrateEventId.NatsSubscriptionEnded, EventName = nameof(HydrateEventId.NatsSubscriptionEnded), Level = LogLevel.Warning,
        Message = "The NATS subscription of topic '{Topic}' ended without being disposed ({Reason}); it is subscribed again")]
    public static partial void SubscriptionEnded(this ILogger logger, Exception? exception, string topic, string reason);

    [LoggerMessage(EventId = HydrateEventId.NatsServerError, EventName = nameof(HydrateEventId.NatsServerError), Level = LogLevel.Warning,
        Message = "The NATS server reported an error: {Error}")]
    public static partial void ServerError(this ILogger logger, string error);

    [LoggerMessage(EventId = HydrateEventId.NatsConnectionChangedHandlerFailed, EventName = nameof(HydrateEventId.NatsConnectionChangedHandlerFailed), Level = LogLevel.Error,
        Message = "A ConnectionChanged handler of the NATS transport threw (IsConnected = {IsConnected})")]
    public static partial void ConnectionChangedHandlerFailed(this ILogger logger, Exception exception, bool isConnected);

    [LoggerMessage(EventId = HydrateEventId.NatsUnsubscribeFailed, EventName = nameof(HydrateEventId.NatsUnsubscribeFailed), Level = LogLevel.Debug,
        Message = "Unsubscribing from NATS topic '{Topic}' failed; the subscription is closed on this side anyway")]
    public static partial void UnsubscribeFailed(this ILogger logger, Exception exception, string topic);

    [LoggerMessage(EventId = HydrateEventId.NatsSubscriptionDown, EventName = nameof(HydrateEventId.NatsSubscriptionDown), Level = LogLevel.Warning,
        Message = "The NATS subscription of topic '{Topic}' is down until it is subscribed again; messages published meanwhile do not reach it")]
    public static partial void SubscriptionDown(this ILogger logger, string topic);

    [LoggerMessage(EventId = HydrateEventId.NatsResubscribeFailed, EventName = nameof(HydrateEventId.NatsResubscribeFailed), Level = LogLevel.Warning,
        Message = "Subscribing again to NATS topic '{Topic}' failed ({Failures} consecutive failures); retrying in {DelayMs} ms")]
    public static partial void ResubscribeFailed(this ILogger logger, Exception exception, string topic, int failures, long delayMs);

    [LoggerMessage(EventId = HydrateEventId.NatsResubscribed, EventName = nameof(HydrateEventId.NatsResubscribed), Level = LogLevel.Information,
        Message = "The subscription of NATS topic '{Topic}' is established again (subject '{Subject}')")]
    public static partial void Resubscribed(this ILogger logger, string topic, string subject);

    [LoggerMessage(EventId = HydrateEventId.NatsResubscribeAbandoned, EventName = nameof(HydrateEventId.NatsResubscribeAbandoned), Level = LogLevel.Error,
        Message = "The subscription of NATS topic '{Topic}' cannot be established again (was the NATS connection disposed before the transport?); it receives nothing more")]
    public static partial void ResubscribeAbandoned(this ILogger logger, Exception exception, string topic);
}
