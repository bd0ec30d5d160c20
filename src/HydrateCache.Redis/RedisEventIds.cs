namespace HydrateCache.Redis;

/// <summary>The event ids of the Redis transport's log messages (the 5xxx range of <see cref="HydrateEventId"/>).</summary>
internal static class RedisEventIds
{
    /// <summary>A connection that carries subscriptions was lost; messages published until it is back are not received.</summary>
    public const int ConnectionLost = HydrateEventId.RedisConnectionLost;

    /// <summary>The connection is back and the subscriptions are re-established.</summary>
    public const int ConnectionRestored = HydrateEventId.RedisConnectionRestored;

    /// <summary>A subscription handler threw; the message is skipped and the subscription continues.</summary>
    public const int HandlerFailed = HydrateEventId.RedisHandlerFailed;

    /// <summary>A subscription's client buffer was full and its oldest messages were dropped. Rate limited.</summary>
    public const int MessagesDropped = HydrateEventId.RedisMessagesDropped;

    /// <summary>A subscription was established.</summary>
    public const int Subscribed = HydrateEventId.RedisSubscribed;

    /// <summary>A subscription was removed.</summary>
    public const int Unsubscribed = HydrateEventId.RedisUnsubscribed;

    /// <summary>A subscription could not be established.</summary>
    public const int SubscribeFailed = HydrateEventId.RedisSubscribeFailed;

    /// <summary>Removing a subscription from the server failed (the local subscription is stopped regardless).</summary>
    public const int UnsubscribeFailed = HydrateEventId.RedisUnsubscribeFailed;

    /// <summary>A <see cref="ITransport.ConnectionChanged"/> handler threw.</summary>
    public const int ConnectionChangedHandlerFailed = HydrateEventId.RedisConnectionChangedHandlerFailed;

    /// <summary>A publish failed; the exception is thrown to the caller.</summary>
    public const int PublishFailed = HydrateEventId.RedisPublishFailed;

    /// <summary>A connection carrying subscriptions was re-established without a failure reported first (a gap all the same).</summary>
    public const int ReconnectedWithoutFailureReport = HydrateEventId.RedisReconnectedWithoutFailureReport;
}
