using Microsoft.Extensions.Logging;

namespace HydrateCache.Nats;

/// <summary>Every log message of the NATS transport. Payloads and keys are never logged; topic names are.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = NatsEventIds.ConnectionLost, EventName = nameof(NatsEventIds.ConnectionLost), Level = LogLevel.Warning,
        Message = "The NATS connection to '{Server}' was lost; NATS.Net reconnects and resubscribes by itself. Messages published meanwhile do not reach the {SubscriptionCount} subscriptions of this transport")]
    public static partial void ConnectionLost(this ILogger logger, string server, int subscriptionCount);

    [LoggerMessage(EventId = NatsEventIds.ConnectionRestored, EventName = nameof(NatsEventIds.ConnectionRestored), Level = LogLevel.Information,
        Message = "The NATS connection to '{Server}' is back and the {SubscriptionCount} subscriptions of this transport are re-established")]
    public static partial void ConnectionRestored(this ILogger logger, string server, int subscriptionCount);

    [LoggerMessage(EventId = NatsEventIds.ReconnectFailed, EventName = nameof(NatsEventIds.ReconnectFailed), Level = LogLevel.Debug,
        Message = "Reconnecting to NATS server '{Server}' failed; NATS.Net keeps trying")]
    public static partial void ReconnectFailed(this ILogger logger, string server);

    [LoggerMessage(EventId = NatsEventIds.MessagesDropped, EventName = nameof(NatsEventIds.MessagesDropped), Level = LogLevel.Warning,
        Message = "The NATS client buffer of topic '{Topic}' (capacity {Capacity} messages) is full: {Dropped} received messages were dropped since the last report, {Total} in total. These updates are lost for this subscriber until gap recovery repairs them; raise NatsTransportOptions.SubscriptionCapacity or speed up the handler")]
    public static partial void MessagesDropped(this ILogger logger, string topic, int capacity, long dropped, long total);

    [LoggerMessage(EventId = NatsEventIds.SlowConsumer, EventName = nameof(NatsEventIds.SlowConsumer), Level = LogLevel.Warning,
        Message = "The subscription of NATS topic '{Topic}' became a slow consumer: its client buffer of {Capacity} messages is full and new messages are dropped")]
    public static partial void SlowConsumer(this ILogger logger, string topic, int capacity);

    [LoggerMessage(EventId = NatsEventIds.HandlerFailed, EventName = nameof(NatsEventIds.HandlerFailed), Level = LogLevel.Error,
        Message = "A handler of NATS topic '{Topic}' threw; the message is skipped and the subscription continues")]
    public static partial void HandlerFailed(this ILogger logger, Exception exception, string topic);

    [LoggerMessage(EventId = NatsEventIds.Subscribed, EventName = nameof(NatsEventIds.Subscribed), Level = LogLevel.Debug,
        Message = "Subscribed to NATS subject '{Subject}' for topic '{Topic}' with a client buffer of {Capacity} messages")]
    public static partial void Subscribed(this ILogger logger, string subject, string topic, int capacity);

    [LoggerMessage(EventId = NatsEventIds.Unsubscribed, EventName = nameof(NatsEventIds.Unsubscribed), Level = LogLevel.Debug,
        Message = "Unsubscribed from NATS topic '{Topic}'; its client buffer dropped {Dropped} messages in total")]
    public static partial void Unsubscribed(this ILogger logger, string topic, long dropped);

    [LoggerMessage(EventId = NatsEventIds.SubscriptionEnded, EventName = nameof(NatsEventIds.SubscriptionEnded), Level = LogLevel.Warning,
        Message = "The NATS subscription of topic '{Topic}' ended without being disposed ({Reason}); it receives nothing more")]
    public static partial void SubscriptionEnded(this ILogger logger, Exception? exception, string topic, string reason);

    [LoggerMessage(EventId = NatsEventIds.ServerError, EventName = nameof(NatsEventIds.ServerError), Level = LogLevel.Warning,
        Message = "The NATS server reported an error: {Error}")]
    public static partial void ServerError(this ILogger logger, string error);

    [LoggerMessage(EventId = NatsEventIds.ConnectionChangedHandlerFailed, EventName = nameof(NatsEventIds.ConnectionChangedHandlerFailed), Level = LogLevel.Error,
        Message = "A ConnectionChanged handler of the NATS transport threw (IsConnected = {IsConnected})")]
    public static partial void ConnectionChangedHandlerFailed(this ILogger logger, Exception exception, bool isConnected);

    [LoggerMessage(EventId = NatsEventIds.UnsubscribeFailed, EventName = nameof(NatsEventIds.UnsubscribeFailed), Level = LogLevel.Debug,
        Message = "Unsubscribing from NATS topic '{Topic}' failed; the subscription is closed on this side anyway")]
    public static partial void UnsubscribeFailed(this ILogger logger, Exception exception, string topic);
}
