using Microsoft.Extensions.Logging;

namespace HydrateCache;

/// <summary>Every log message of the core package. Payloads and raw keys are never logged.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = HydrateEventId.ChannelHandlerFailed, EventName = nameof(HydrateEventId.ChannelHandlerFailed), Level = LogLevel.Error,
        Message = "A subscription handler of channel '{Channel}' threw; the message is skipped and the subscription continues")]
    public static partial void ChannelHandlerFailed(this ILogger logger, Exception exception, string channel);

    [LoggerMessage(EventId = HydrateEventId.ChannelSubscribed, EventName = nameof(HydrateEventId.ChannelSubscribed), Level = LogLevel.Debug,
        Message = "Channel '{Channel}' subscribed to topic '{Topic}' as sender {SenderId}")]
    public static partial void ChannelSubscribed(this ILogger logger, string channel, string topic, Guid senderId);

    [LoggerMessage(EventId = HydrateEventId.ChannelUnsubscribed, EventName = nameof(HydrateEventId.ChannelUnsubscribed), Level = LogLevel.Debug,
        Message = "Channel '{Channel}' unsubscribed from topic '{Topic}'")]
    public static partial void ChannelUnsubscribed(this ILogger logger, string channel, string topic);

    [LoggerMessage(EventId = HydrateEventId.ChannelPublishFailed, EventName = nameof(HydrateEventId.ChannelPublishFailed), Level = LogLevel.Warning,
        Message = "Publishing to channel '{Channel}' failed")]
    public static partial void ChannelPublishFailed(this ILogger logger, Exception exception, string channel);

    [LoggerMessage(EventId = HydrateEventId.RecoverySubscribeFailed, EventName = nameof(HydrateEventId.RecoverySubscribeFailed), Level = LogLevel.Warning,
        Message = "Channel '{Channel}' could not subscribe to its control topic '{Topic}'; loss recovery retries in {Backoff}")]
    public static partial void RecoverySubscribeFailed(this ILogger logger, Exception exception, string channel, string topic, TimeSpan backoff);

    [LoggerMessage(EventId = HydrateEventId.RecoveryGaveUp, EventName = nameof(HydrateEventId.RecoveryGaveUp), Level = LogLevel.Warning,
        Message = "Channel '{Channel}' missed {Count} messages of sender {SenderId} that could not be retransmitted; the cache may be stale until repaired")]
    public static partial void RecoveryGaveUp(this ILogger logger, string channel, long count, Guid senderId);

    [LoggerMessage(EventId = HydrateEventId.RecoveryPublishFailed, EventName = nameof(HydrateEventId.RecoveryPublishFailed), Level = LogLevel.Warning,
        Message = "Channel '{Channel}' could not publish a loss-recovery message to '{Topic}'; it is repeated later ({Suppressed} similar failures not logged since the last message)")]
    public static partial void RecoveryPublishFailed(this ILogger logger, Exception exception, string channel, string topic, long suppressed);

    [LoggerMessage(EventId = HydrateEventId.SourceLoaded, EventName = nameof(HydrateEventId.SourceLoaded), Level = LogLevel.Information,
        Message = "Channel '{Channel}' loaded {Read} entries from its source, {Changed} of which changed the cache, in {ElapsedMs} ms")]
    public static partial void SourceLoaded(this ILogger logger, string channel, int read, int changed, long elapsedMs);

    [LoggerMessage(EventId = HydrateEventId.SourceLoadFailed, EventName = nameof(HydrateEventId.SourceLoadFailed), Level = LogLevel.Warning,
        Message = "Channel '{Channel}' could not load from its source ({Failures} failures in a row); retrying in {Delay}")]
    public static partial void SourceLoadFailed(this ILogger logger, Exception exception, string channel, int failures, TimeSpan delay);

    [LoggerMessage(EventId = HydrateEventId.SubscriptionHandlerFailed, EventName = nameof(HydrateEventId.SubscriptionHandlerFailed), Level = LogLevel.Error,
        Message = "A handler of the subscription to topic '{Topic}' threw; the message is skipped and the subscription continues")]
    public static partial void SubscriptionHandlerFailed(this ILogger logger, Exception exception, string topic);

    [LoggerMessage(EventId = HydrateEventId.SubscriptionMessagesLost, EventName = nameof(HydrateEventId.SubscriptionMessagesLost), Level = LogLevel.Warning,
        Message = "The subscription to topic '{Topic}' lost {Count} messages since the last report because {Cause}; {Total} lost since it started")]
    public static partial void SubscriptionMessagesLost(this ILogger logger, string topic, long count, string cause, long total);

    [LoggerMessage(EventId = HydrateEventId.EnvelopeRejected, EventName = nameof(HydrateEventId.EnvelopeRejected), Level = LogLevel.Warning,
        Message = "Channel '{Channel}' dropped a frame of {Length} bytes: {Reason} ({Suppressed} similar drops not logged since the last message)")]
    public static partial void EnvelopeRejected(this ILogger logger, string channel, int length, HydrateDropReason reason, long suppressed);

    [LoggerMessage(EventId = HydrateEventId.PayloadRejected, EventName = nameof(HydrateEventId.PayloadRejected), Level = LogLevel.Warning,
        Message = "Channel '{Channel}' dropped an update from sender {SenderId}: {Reason} ({Suppressed} similar drops not logged since the last message)")]
    public static partial void PayloadRejected(this ILogger logger, Exception? exception, string channel, Guid senderId, HydrateDropReason reason, long suppressed);

    [LoggerMessage(EventId = HydrateEventId.CacheChangeHandlerFailed, EventName = nameof(HydrateEventId.CacheChangeHandlerFailed), Level = LogLevel.Error,
        Message = "A change handler of local cache '{Cache}' threw")]
    public static partial void CacheChangeHandlerFailed(this ILogger logger, Exception exception, string cache);

    [LoggerMessage(EventId = HydrateEventId.CacheSwept, EventName = nameof(HydrateEventId.CacheSwept), Level = LogLevel.Trace,
        Message = "Local cache '{Cache}' expired {Expired} entries and removed {Tombstones} old tombstones")]
    public static partial void CacheSwept(this ILogger logger, string cache, int expired, int tombstones);
}
