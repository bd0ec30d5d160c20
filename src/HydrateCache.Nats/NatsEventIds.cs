namespace HydrateCache.Nats;

/// <summary>The event ids of the NATS transport's log messages (the 6xxx range of <see cref="HydrateEventId"/>).</summary>
internal static class NatsEventIds
{
    /// <summary>The NATS connection was lost; subscriptions miss messages until it is back.</summary>
    public const int ConnectionLost = HydrateEventId.NatsConnectionLost;

    /// <summary>The NATS connection is back and every subscription of the transport is re-established.</summary>
    public const int ConnectionRestored = HydrateEventId.NatsConnectionRestored;

    /// <summary>An attempt to reconnect to a NATS server failed; NATS.Net keeps trying.</summary>
    public const int ReconnectFailed = HydrateEventId.NatsReconnectFailed;

    /// <summary>A subscription's client buffer was full and NATS.Net dropped received messages. Rate limited.</summary>
    public const int MessagesDropped = HydrateEventId.NatsMessagesDropped;

    /// <summary>A subscription became a slow consumer (its client buffer filled up). Once per episode.</summary>
    public const int SlowConsumer = HydrateEventId.NatsSlowConsumer;

    /// <summary>A subscription handler threw; the message is skipped and the subscription continues.</summary>
    public const int HandlerFailed = HydrateEventId.NatsHandlerFailed;

    /// <summary>The transport subscribed to a NATS subject.</summary>
    public const int Subscribed = HydrateEventId.NatsSubscribed;

    /// <summary>The transport unsubscribed from a NATS subject.</summary>
    public const int Unsubscribed = HydrateEventId.NatsUnsubscribed;

    /// <summary>A subscription ended without being disposed (the connection was disposed, or the server ended it).</summary>
    public const int SubscriptionEnded = HydrateEventId.NatsSubscriptionEnded;

    /// <summary>The NATS server sent an error (-ERR), for example a permissions violation.</summary>
    public const int ServerError = HydrateEventId.NatsServerError;

    /// <summary>A handler of <see cref="NatsTransport.ConnectionChanged"/> threw.</summary>
    public const int ConnectionChangedHandlerFailed = HydrateEventId.NatsConnectionChangedHandlerFailed;

    /// <summary>Unsubscribing from the server failed while a subscription was disposed.</summary>
    public const int UnsubscribeFailed = HydrateEventId.NatsUnsubscribeFailed;
}
